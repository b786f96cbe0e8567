"""Running an action in-process as the action server would: a tracker as Rasa sends it, the
dispatcher's messages and the events returned; the dossier as stored; opening hours that are
always open."""

from __future__ import annotations

import json

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import clock
from bot.domain import opening_hours
from bot.store import db, dossiers

ALWAYS_OPEN = json.dumps({"closed_on_public_holidays": False, "week": {day: ["00:00-24:00"] for day in opening_hours.WEEKDAYS}})


CONSENTED = {
    "consentement": True,
    "consentement_le": "2026-11-28T10:00:00+00:00",
    "contact_nom": "Marie",
    "contact_coordonnees": "+33612345678",
}


def stored(url: str, conversation_id: str = "someone") -> dict:
    with db.session(url) as session:
        now = clock.now()  # a conversation without a dossier reads as an empty one (not committed)
        return dossiers.dossier_as_dict(dossiers.get_or_create_dossier(session, conversation_id, now), now=now)


def make_tracker(text="", intent=None, confidence=0.9, entities=None, slots=None, events=None) -> Tracker:
    """A tracker as Rasa sends it to the action server, for conversation "someone"."""
    message = {"text": text, "entities": entities or []}
    if intent:
        message["intent"] = {"name": intent, "confidence": confidence}
    return Tracker("someone", slots or {}, message, events or [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events
