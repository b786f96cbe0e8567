"""What both our channels (website socket.io and REST) say when the input or the back end is not right.

The text checks live here so that every channel answers bad input the same polite way, and a
silent turn caused by a dead action server becomes an honest French message instead of nothing.
"""

from __future__ import annotations

import asyncio
import math

import aiohttp

from bot.domain import catalog
from bot import settings as bot_settings

EMPTY = "Je n'ai pas reçu de texte. Écrivez votre question avec vos mots, je vous lis."
TOO_LONG = (
    "Votre message est trop long pour moi (plus de {limit} caractères). "
    "Pouvez-vous le résumer en quelques phrases ? Une personne pourra lire le détail plus tard."
)
STILL_WORKING = "Je cherche, merci de patienter un instant…"


def trouble() -> str:
    service = catalog.service_contact()
    return (
        "Désolé, je rencontre un souci technique et je ne peux pas traiter votre message pour le "
        f"moment. Réessayez dans un instant, ou contactez l'équipe au {service.phone} ({service.hours})."
    )


def too_fast(which: str, wait_seconds: float) -> str:
    """Over a rate limit (bot/rate_limits.py): nothing was processed, say when to send it again."""
    if which == "new_conversation":
        return too_many_conversations(wait_seconds)
    service = catalog.service_contact()
    seconds = max(1, round(wait_seconds + 0.5))
    who = "de votre connexion" if which == "client" else "de votre part"
    return (
        f"Beaucoup de messages arrivent {who} en ce moment : je n'ai pas lu ce dernier message. "
        f"Patientez {seconds} seconde{'s' if seconds > 1 else ''}, puis envoyez-le de nouveau. "
        f"Vous pouvez aussi joindre l'équipe au {service.phone} ({service.hours})."
    )


def too_many_conversations(wait_seconds: float) -> str:
    """Over the limit of new conversations per address (RATE_LIMIT_NEW_CONVERSATIONS_PER_HOUR)."""
    minutes = max(1, math.ceil(wait_seconds / 60))
    service = catalog.service_contact()
    return (
        "Beaucoup de conversations ont déjà commencé depuis votre connexion : je ne peux pas en ouvrir "
        f"une nouvelle pour le moment. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}, "
        f"ou joignez l'équipe au {service.phone} ({service.hours}) ou à {service.email}."
    )


def synthesis_refused() -> str:
    """The synthesis e-mail over its limits (per recipient, per address, handovers): not sent."""
    service = catalog.service_contact()
    return (
        "Je ne peux pas envoyer d'autre résumé par e-mail aujourd'hui depuis cette connexion ou à cette "
        f"adresse. Pour le recevoir, écrivez à l'équipe à {service.email} ou appelez-la au {service.phone} "
        f"({service.hours})."
    )


def too_many_handovers() -> str:
    service = catalog.service_contact()
    return (
        "Plusieurs demandes de rappel ou de rendez-vous sont déjà parties de votre connexion. "
        f"Pour en faire une autre, appelez l'équipe au {service.phone} ({service.hours}) "
        f"ou écrivez à {service.email}."
    )


def check_text(text: object) -> tuple[str | None, str | None]:
    """(the cleaned text, None) when it can go to Rasa, else (None, the polite reply)."""
    if not isinstance(text, str) or not text.strip():
        return None, EMPTY
    text = text.strip().replace("\x00", "")
    if len(text) > bot_settings.MAX_MESSAGE_CHARS:
        limit = f"{bot_settings.MAX_MESSAGE_CHARS:,}".replace(",", " ")
        return None, TOO_LONG.format(limit=limit)
    return text, None


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


async def backend_is_down() -> bool:
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


_health_session: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = None


def _session() -> aiohttp.ClientSession:
    """One HTTP session per event loop for the health checks (checked before every message)."""
    global _health_session
    loop = asyncio.get_running_loop()
    if _health_session is None or _health_session[0] is not loop or _health_session[1].closed:
        _health_session = (loop, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)))
    return _health_session[1]


async def action_server_is_down() -> bool:
    """True when the action server does not answer its health check."""
    url = bot_settings.current().action_endpoint_url
    if not url:
        return False
    health = url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with _session().get(health) as answer:
            return answer.status != 200
    except (aiohttp.ClientError, OSError, TimeoutError, asyncio.TimeoutError):
        return True
