"""The back end's health, checked by both channels before each message: the action server's health
probe and, on PostgreSQL, a ping of the database. When either is away, the channel says
replies.trouble() instead of letting Rasa answer beside the point.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot import settings as bot_settings
from bot.rasa_extensions.patches import action_failures, kept_http_sessions


def _database_answers(url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import db

    try:
        with db.engine_for(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


async def is_down() -> bool:
    """True when the action server or the database does not answer.

    Checked before each message: with either away Rasa would answer beside the point (a failed
    custom action is skipped; an unreadable tracker becomes a new, empty conversation), so we do
    not let the message through and say so instead. Both checks are local and take about a
    millisecond. The embedded SQLite file is not pinged: a local file cannot be away, and a locked
    one is waited for (busy timeout) then spooled by the store; the ping cost the Rasa server a
    new connection per message (a tenth of its CPU under `make bench`).
    """
    if await action_server_is_down():
        return True
    url = bot_settings.current().database_url
    if not url or url.startswith("sqlite"):
        return False
    return not await asyncio.to_thread(_database_answers, url)


def _session() -> aiohttp.ClientSession:
    """One HTTP session per event loop for the health checks (checked before every message)."""
    return kept_http_sessions.kept(
        ("health checks",),
        lambda: aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3), connector=kept_http_sessions.connector()),
    )


async def close_sessions(_app: Any, _loop: Any) -> None:
    """Both channels' `after_server_stop`: the kept HTTP sessions (these health checks, the calls to
    the action server) closed, rather than each logged as « Unclosed client session » at exit."""
    await kept_http_sessions.close_kept()


async def action_server_is_down() -> bool:
    """True when the action server does not answer its health check. Not asked when an action call
    succeeded in the last second (patches/action_failures.py: a call that fails during the turn ends
    it with the same polite answer), so a busy server does not probe before every message."""
    url = bot_settings.current().action_endpoint_url
    if not url or action_failures.answered_recently(time.monotonic()):
        return False
    health = url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with _session().get(health) as answer:
            return answer.status != 200
    except (aiohttp.ClientError, OSError, TimeoutError, asyncio.TimeoutError):
        return True
