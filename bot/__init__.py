"""Triage assistant for the digital mediation of very small businesses (TPE).

Packages by concern; dependencies point one way (docs/architecture.md):
ops -> web, channels, actions/ -> mail, jobs -> store -> domain -> language -> foundation.
- foundation modules here: settings (the one configuration), paths, clock (the one real clock),
  datafiles and schemas (validated YAML data), rate_limits (the windows and who the client is,
  shared by the channels, the actions and the web app);
- domain/: the content's rules; language/: reading and writing French;
- store/: the database; mail/: e-mails and calendar files; jobs/: periodic work;
- rasa_extensions/: everything that extends or patches Rasa and rasa_sdk (the action server too);
- channels/: how messages enter Rasa; web/: the web app (page, widget API, console, live);
- ops/: the `bot` command, servers, training, benchmarks; evaluation/: `make eval`.
"""
