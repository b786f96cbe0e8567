"""Everything that extends or changes Rasa Open Source 3.6, in one place.

Components Rasa loads by name (they need no installing):
- `nlu/` — our TF-IDF intent classifier (config.yml, `bot.rasa_extensions.nlu…`);
- `policies.py` — TEDPolicy run only where no rule or story decides (config.yml);
- `tracker_store.py` — Rasa's SQL tracker store, lighter (endpoints.yml, deploy/endpoints.prod.yml);
- `lock_store.py` — Rasa's Redis lock store made atomic across servers (deploy/endpoints.prod.yml);
- `nlg.py` — responses rendered with French typography (both endpoints files).
- `action_server.py` — the action server (rasa_sdk) that only Rasa may call, each action run in a
  worker thread; `action_replay.py` — a retried message does not run an action twice (run-prod).

Patches of Rasa internals (`patches/`), installed by `install()` below. It is called at start-up
by our tracker store (which every Rasa command reading our endpoints files creates first, before
the database engine and the message processor) and by our channels: so plain `rasa run` and
`rasa shell` get them as `bot run` does. Each patch's
docstring says what it replaces, why, and what to re-check on a Rasa upgrade:
- `tracker_store_fix` — pooled SQLite connections, `pool_pre_ping` on PostgreSQL;
- `action_validation_fix` — the domain check of an action's result without the selective domain;
- `typed_payloads` — a typed `/intent{…}` is plain text unless a button offered it;
- `typed_answers` — a typed answer read as the button it means; the topic of a request for a person;
- `kept_http_sessions` — calls to the action server on kept connections, not a new one per call;
- `shared_predictions` — the rule and memoization policies answer once per step, not again for TED;
- `event_classes` — an event's class found by its type name once, not by walking all of them per event;
- `action_failures` — a custom action call that fails ends the turn unsaved (the channel says so),
  instead of Rasa going on without the action's events.

May import: Rasa, `bot.language`, `bot.domain.catalog`, `bot.settings`, `bot.store` (the tracker store).
Imported by: the channels, the evaluation, the training (fingerprint of our components).
"""

from __future__ import annotations

import rasa

WRITTEN_FOR_RASA = "3.6.21"  # the version every patch was read against (requirements.lock pins it)


class WrongRasaVersion(RuntimeError):
    pass


def check_version(installed: str | None = None) -> None:
    """Refuse to patch a Rasa whose internals were not read: a patch could silently undo a fix."""
    installed = installed or rasa.__version__
    if installed != WRITTEN_FOR_RASA:
        raise WrongRasaVersion(
            f"Rasa {installed} is installed, but bot/rasa_extensions/patches were written for Rasa "
            f"{WRITTEN_FOR_RASA}. Re-check each patch against the new Rasa code (its docstring says what "
            f"to look at), then update WRITTEN_FOR_RASA in bot/rasa_extensions/__init__.py."
        )


def install() -> None:
    """Check the Rasa version, then install every patch (idempotent, in this order: the payload check
    must see a message before the typed-answer reading does)."""
    check_version()
    from bot import log_redaction

    log_redaction.install()  # no secret link nor forged line in the Rasa server's log
    from bot.rasa_extensions.patches import (
        action_failures,
        action_validation_fix,
        event_classes,
        kept_http_sessions,
        shared_predictions,
        tracker_store_fix,
        typed_answers,
        typed_payloads,
    )

    tracker_store_fix.install()
    kept_http_sessions.install()
    action_validation_fix.install()
    shared_predictions.install()
    event_classes.install()
    typed_payloads.install()
    typed_answers.install()
    action_failures.install()
