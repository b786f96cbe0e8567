"""`rasa run` with its HTTP API token taken from the settings (RASA_TOKEN, or var/rasa_token),
never from the command line.

`rasa run --auth-token …` shows the token to every user of the machine (`ps`, /proc/<pid>/cmdline)
and to whatever logs command lines. `python -m bot.rasa_extensions.rasa_server run --enable-api …`
takes the same arguments as `rasa run`, checks the settings' secrets (bot/settings.py:
require_strong_secrets), then runs Rasa's own command line in this process with `--auth-token`
added to `sys.argv` only: the process's command line, fixed when it was started, holds no secret.

Re-check on a Rasa upgrade that `rasa.__main__.main()` still parses `sys.argv` and that `rasa run`
serves in this process (Sanic with one worker, SANIC_WORKERS unset).
"""

from __future__ import annotations

import sys

from bot import settings as bot_settings

TOKEN_OPTIONS = ("-t", "--auth-token")


def rasa_arguments(arguments: list[str], token: str) -> list[str]:
    """The `sys.argv` for Rasa's own main: `rasa <arguments> --auth-token <token>`."""
    if any(word in TOKEN_OPTIONS or word.startswith("--auth-token=") for word in arguments):
        raise SystemExit("Give the HTTP API token in RASA_TOKEN, not on the command line (ps shows it to everyone).")
    if arguments[:1] != ["run"]:
        raise SystemExit("Usage: python -m bot.rasa_extensions.rasa_server run [rasa run's arguments, without --auth-token]")
    return ["rasa", *arguments, "--auth-token", token]


def main(arguments: list[str] | None = None) -> None:
    settings = bot_settings.current()
    bot_settings.require_strong_secrets(settings)
    sys.argv = rasa_arguments(sys.argv[1:] if arguments is None else arguments, settings.rasa_token)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
