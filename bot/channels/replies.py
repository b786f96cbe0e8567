"""What both our channels (website socket.io and REST) say when the input or the back end is not right.

The text checks live here so that every channel answers bad input the same polite way, and a
silent turn caused by a dead action server becomes an honest French message instead of nothing
(the back end's health checks: bot/channels/backend.py). The sentences of the limits are also said
by the actions that check the handover limits (actions/limits.py).
"""

from __future__ import annotations

import math

from bot import settings as bot_settings
from bot.domain import catalog
from bot.language.french import polish  # every text here in French typography, as the assistant's

EMPTY = polish("Je n'ai pas reçu de texte. Écrivez votre question avec vos mots, je vous lis.")
TOO_LONG = polish(
    "Votre message est trop long pour moi (plus de {limit} caractères). "
    "Pouvez-vous le résumer en quelques phrases ? Une personne pourra lire le détail plus tard."
)
STILL_WORKING = polish("Je cherche, merci de patienter un instant…")


def trouble() -> str:
    service = catalog.service_contact()
    return polish(
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
    return polish(
        f"Beaucoup de messages arrivent {who} en ce moment : je n'ai pas lu ce dernier message. "
        f"Patientez {seconds} seconde{'s' if seconds > 1 else ''}, puis envoyez-le de nouveau. "
        f"Vous pouvez aussi joindre l'équipe au {service.phone} ({service.hours})."
    )


def too_many_conversations(wait_seconds: float) -> str:
    """Over the limit of new conversations per address (RATE_LIMIT_NEW_CONVERSATIONS_PER_HOUR)."""
    minutes = max(1, math.ceil(wait_seconds / 60))
    service = catalog.service_contact()
    return polish(
        "Beaucoup de conversations ont déjà commencé depuis votre connexion : je ne peux pas en ouvrir "
        f"une nouvelle pour le moment. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}, "
        f"ou joignez l'équipe au {service.phone} ({service.hours}) ou à {service.email}."
    )


def synthesis_refused() -> str:
    """The synthesis e-mail over its limits (per recipient, per address, handovers): not sent."""
    service = catalog.service_contact()
    return polish(
        "Je ne peux pas envoyer d'autre résumé par e-mail aujourd'hui depuis cette connexion ou à cette "
        f"adresse. Pour le recevoir, écrivez à l'équipe à {service.email} ou appelez-la au {service.phone} "
        f"({service.hours})."
    )


def too_many_handovers() -> str:
    service = catalog.service_contact()
    return polish(
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
        limit = f"{bot_settings.MAX_MESSAGE_CHARS:,}".replace(",", "\u202f")  # « 2 000 », narrow no-break space
        return None, TOO_LONG.format(limit=limit)
    return text, None
