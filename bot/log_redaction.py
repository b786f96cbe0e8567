"""No secret link and no forged line in our logs: the one list of the URLs that carry a secret.

Some links are bearer secrets: whoever has one acts as its owner (a mediator's password reset,
valid 30 minutes; a person's appointment page, which cancels or moves it; a mediator's private
calendar feed), and so are a few query parameters (Rasa's and the action server's `?token=`,
socket.io's session ids). `SECRET_PATHS` and `SECRET_QUERY_PARAMETERS` list them once; from them:

- `mask_secrets(text)` replaces each secret by `***` in any text (a log line, a URL);
- `nginx_logged_uri_map()` writes the entries of the `map $uri $logged_uri` of
  `deploy/nginx.conf.template`, so that nginx's access log masks the same paths;
- `install()` makes every log record of a process (uvicorn's access log, Rasa, the action server,
  the web app) mask them in its message and arguments, and escape the control characters of its
  text arguments (a `sender` with a line feed cannot write a fake log line);
- `bot/ops/log_files.py` masks them again in every line a server writes to `var/logs` or
  `var/prod/logs`, whatever wrote it (a traceback, nginx's or Sanic's messages).

`escape_for_log(value)` is for a value a client chose (a sender id, a header): control characters
escaped, length capped. `tests/ops/test_secret_urls_in_logs.py` checks that every route of the web
app with a `{token}` is in the list, and that no secret of a visited link reaches any log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MASK = "***"
MAX_LOGGED_CHARS = 120


@dataclass(frozen=True)
class SecretPath:
    """A path whose segment after `prefix` is a bearer secret (what follows it is kept)."""

    prefix: str
    what: str


SECRET_PATHS = (
    SecretPath("/mediateurs/mot-de-passe/", "a mediator's password reset link (bot/web/account.py)"),
    SecretPath("/rendez-vous/", "a person's appointment page, to cancel or move it (bot/web/appointment_page.py)"),
    SecretPath("/calendrier/", "a mediator's private calendar feed, /calendrier/<token>.ics (bot/web/console/agenda.py)"),
)

# Rasa's HTTP API and the action server take ?token=; socket.io's session ids (engine.io's sid,
# the website channel's session_id) let whoever has them act in that session
SECRET_QUERY_PARAMETERS = ("token", "session_id", "sid")

_SEGMENT = r"[^/?#\s\"'<>]+"
# a secret path where a URL's path begins: at the start, after a space, quote or bracket, or after
# scheme://host (not inside another path: /mediateurs/rendez-vous/<reference> is not a secret)
_PATH_START = r"(?P<lead>^|[\s\"'(<=,\[]|[a-z][a-z0-9+.-]*://[^/\s\"'<>]*)"
_SECRET_PATH = re.compile(
    _PATH_START + "(?P<prefix>" + "|".join(re.escape(p.prefix) for p in SECRET_PATHS) + ")" + _SEGMENT,
    re.IGNORECASE,
)
_SECRET_QUERY = re.compile(
    r"(?P<lead>[?&;])(?P<name>" + "|".join(SECRET_QUERY_PARAMETERS) + r")=[^&#\s\"'<>]+",
    re.IGNORECASE,
)
# the website's signed conversation token <id>.<signature> (bot/web/conversation_ids.py): the id
# may be logged, never its signature
_SIGNED_CONVERSATION = re.compile(r"\b(?P<id>[0-9a-f]{32})\.[0-9a-f]{32}\b")


def mask_secrets(text: str) -> str:
    """`text` with every secret of a link (and every signed conversation token) replaced by ***."""
    if "/" in text:
        text = _SECRET_PATH.sub(lambda m: f"{m['lead']}{m['prefix']}{MASK}", text)
    if "=" in text:
        text = _SECRET_QUERY.sub(lambda m: f"{m['lead']}{m['name']}={MASK}", text)
    if "." in text:
        text = _SIGNED_CONVERSATION.sub(lambda m: f"{m['id']}.{MASK}", text)
    return text


def _escape_character(character: str) -> str:
    return character.encode("unicode_escape").decode("ascii")


def escape_controls(text: str) -> str:
    """Control characters (CR, LF, tab, escape, the Unicode line separators…) written as \\n, \\x1b…"""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else _escape_character(c) for c in text)


def escape_for_log(value: object, limit: int = MAX_LOGGED_CHARS) -> str:
    """A value a client chose, fit for one log line: secrets masked, control characters escaped,
    at most `limit` characters (then « …(N chars) »)."""
    text = escape_controls(mask_secrets(value if isinstance(value, str) else str(value)))
    if len(text) > limit:
        text = f"{text[:limit]}…({len(text)} chars)"
    return text


def _safe_argument(value: object) -> object:
    return escape_controls(mask_secrets(value)) if isinstance(value, str) else value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the secrets of a record's message and text arguments, escape its arguments' control
    characters. Arguments keep their position and type: formatters that read them (uvicorn's
    access log) still work."""
    if isinstance(record.msg, str):
        record.msg = mask_secrets(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_safe_argument(a) for a in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {k: _safe_argument(v) for k, v in record.args.items()}
    return record


class RedactingFilter(logging.Filter):
    """A logging filter doing `redact_record`, for a handler or logger configured by hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Every log record this process creates from now on is redacted (idempotent). A record factory
    rather than a filter: it applies to every logger and handler, including those configured later
    (uvicorn's, Sanic's, Rasa's), and to records that propagate to the root logger."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def nginx_logged_uri_map() -> str:
    """The entries of nginx's `map $uri $logged_uri` (deploy/nginx.conf.template): each secret path
    logged with its secret replaced by ***, what follows it kept. ($uri has no query: nginx never
    logs the query parameters.)"""
    entries = []
    for path in SECRET_PATHS:
        pattern = f"~*^{re.escape(path.prefix)}[^/]+(?<logged_uri_rest>.*)$"
        entries.append(f'"{pattern}" "{path.prefix}{MASK}$logged_uri_rest";')
    return " ".join(entries)
