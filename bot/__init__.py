"""Triage assistant for the digital mediation of very small businesses (TPE).

Layout: settings (one place for configuration), datafiles (validated YAML data),
needs/service_info (what the assistant says about needs and how to reach a human),
training, supervisor (run the servers), evaluation (measure the NLU), cli (the `bot` command).
"""
