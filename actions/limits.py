"""The limits an action checks before it creates work for the team or sends an e-mail:
handover requests per client address (a call back, an appointment, a live chat, the synthesis
e-mail: one conversation counts once) and synthesis e-mails per recipient and per client address
a day. Counted in the windows of bot/rate_limits.py (Redis across the action servers when
configured). The client is the pseudonym our channels put in the latest message's metadata; a
local tool (none) has no limit per client."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import clock, rate_limits, settings
from bot.channels import replies
from bot.rate_limits import Limit, Windows


def handover_allowed(tracker: Tracker) -> bool:
    client = rate_limits.client_of_events(tracker.events)
    return admit_handover(client, tracker.sender_id, settings.current().client_handovers_per_hour, clock.now().timestamp())


def admit_handover(client: str | None, conversation_id: str, per_hour: int, now: float) -> bool:
    """May this client's conversation create a new handover request? One conversation counts
    once however many times it asks (a call back after a failed booking is the same request)."""
    if client is None:
        return True
    return _shared_windows().admit(f"handovers:{client}", conversation_id, Limit(per_hour, 3600), now)


def refuse_handover(dispatcher: CollectingDispatcher) -> None:
    """Over the handover limit: the service's phone and e-mail instead."""
    dispatcher.utter_message(text=replies.too_many_handovers())


def synthesis_allowed(tracker: Tracker, email: str) -> bool:
    """The synthesis to `email` counts as a handover request, and at most RATE_LIMIT_SYNTHESES_PER_DAY
    conversations a day may have one sent to that address (whoever asks), or from this client
    address: the service's mail cannot be aimed at someone's inbox."""
    if not handover_allowed(tracker):
        return False
    config = settings.current()
    recipient = rate_limits.client_key(email.strip().lower(), config.conversation_secret)  # a pseudonym
    client = rate_limits.client_of_events(tracker.events)
    rule, now, windows = Limit(config.syntheses_per_day, 86400), clock.now().timestamp(), _shared_windows()
    if not windows.admit(f"syntheses:to:{recipient}", tracker.sender_id, rule, now):
        return False
    return client is None or windows.admit(f"syntheses:from:{client}", tracker.sender_id, rule, now)


def refuse_synthesis(dispatcher: CollectingDispatcher) -> None:
    """Over the synthesis limits: not sent; how to get it from the team instead."""
    dispatcher.utter_message(text=replies.synthesis_refused())


_shared: Windows | None = None


def _shared_windows() -> Windows:
    """One set of windows per action server process (its worker threads count together)."""
    global _shared
    if _shared is None:
        _shared = Windows()
    return _shared
