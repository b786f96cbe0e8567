"""Live handover, the assistant's side: offer a mediator now when one is on duty, then step aside.

When the service is open and a mediator is marked available in the console, a person who asks
for a human is put in the live queue and the conversation is paused: the assistant stops
answering, the person's messages go on being recorded, and the mediator writes through the web
app (bot/web/live.py), which resumes the assistant at the end with an EXTERNAL_… intent.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import limits
from bot import clock, log_redaction, settings
from bot.domain import opening_hours
from bot.store import db, errors, live

logger = logging.getLogger(__name__)


def try_live_handover(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """Hand the person over to an available mediator (events to return), or say why not (None).

    A live request alerts the mediators and goes before the queue: it counts in the handover limit
    per client address (actions/limits.py), like a call back or an appointment; over it, the
    service's phone and e-mail are said instead and nothing is requested (no events: [])."""
    now = clock.now()
    hours = opening_hours.load()
    if not hours.is_open(now):
        reopening = hours.next_opening(now)
        if reopening is not None:
            dispatcher.utter_message(response="utter_service_closed", reouverture=opening_hours.french_moment(reopening, now))
        return None
    config = settings.current()
    try:
        with db.session(config.database_url) as session:
            if not live.available_mediators(session, config.presence_idle_minutes, now=now):
                dispatcher.utter_message(response="utter_nobody_available")
                return None
            if not limits.handover_allowed(tracker):
                limits.refuse_handover(dispatcher)
                return []
            live.request(session, tracker.sender_id, now=now)
            session.commit()
    except (SQLAlchemyError, errors.Refused):  # no live queue without the database (or for
        # a conversation the person erased): the other ways remain
        logger.exception("live handover request of %s not stored", log_redaction.escape_for_log(tracker.sender_id))
        return None
    minutes = max(1, round(config.live_pickup_seconds / 60))
    dispatcher.utter_message(
        response="utter_live_joining",
        delai=f"{minutes} minute{'s' if minutes > 1 else ''}",
        json_message={"live": {"state": "waiting"}},
    )
    return [ConversationPaused()]


class ActionLiveEnded(Action):
    """The live part is over (mediator handed back, or the person ended it): carry on."""

    def name(self) -> str:
        return "action_live_ended"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionLiveTimeout(Action):
    """Nobody could join in time: apologise and offer an appointment or a call back."""

    def name(self) -> str:
        return "action_live_timeout"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_live_timeout", json_message={"live": {"state": "ended"}})
        dispatcher.utter_message(response="utter_human_options")
        return []
