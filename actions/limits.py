"""The limits an action checks before it creates work for the team or sends an e-mail
(bot/rate_limits.py): handover requests per client address (a call back, an appointment, a live
chat, the synthesis e-mail: one conversation counts once) and synthesis e-mails per recipient and
per client address a day. The client is the pseudonym our channels put in the latest message's
metadata; a local tool (none) has no limit per client."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import clock, rate_limits, settings
from bot.channels import replies


def handover_allowed(tracker: Tracker) -> bool:
    client = rate_limits.client_of_events(tracker.events)
    limit = settings.current().client_handovers_per_hour
    return rate_limits.handover_allowed(client, tracker.sender_id, limit, clock.now().timestamp())


def refuse_handover(dispatcher: CollectingDispatcher) -> None:
    """Over the handover limit: the service's phone and e-mail instead."""
    dispatcher.utter_message(text=replies.too_many_handovers())


def synthesis_allowed(tracker: Tracker, email: str) -> bool:
    """The synthesis to `email` counts as a handover request, and at most RATE_LIMIT_SYNTHESES_PER_DAY
    conversations a day may have one sent to that address, or from this client address."""
    if not handover_allowed(tracker):
        return False
    config = settings.current()
    recipient = rate_limits.client_key(email.strip().lower(), config.conversation_secret)
    client = rate_limits.client_of_events(tracker.events)
    return rate_limits.synthesis_allowed(client, recipient, tracker.sender_id, config.syntheses_per_day, clock.now().timestamp())


def refuse_synthesis(dispatcher: CollectingDispatcher) -> None:
    """Over the synthesis limits: not sent; how to get it from the team instead."""
    dispatcher.utter_message(text=replies.synthesis_refused())
