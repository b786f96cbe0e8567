"""Reaching a human, the menu: « Que préférez-vous ? » (a mediator now if one is on duty, an appointment,
a call back, or the service's contact details), never asked a third time in a row; the topic of a
request for a person kept as an unconfirmed need. Asked inside the questionnaire or the leave-taking
questions, the form is left (paused) and « Reprendre les questions » offered among the choices:
coming back is offered, never forced (`action_resume_form`).

The forms that follow: actions/booking.py (appointment), actions/callback.py (call back), both
validated by actions/contact_form.py (consent, name, contact) and actions/deadlines.py.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.live import try_live_handover
from actions.tracker_utils import came_from_button
from bot.domain import catalog
from bot.domain.human_request import PAUSABLE_FORMS, topic_in_ranking
from bot.domain.profile import profile_values
from bot.store.dossier_writes import RecordNeed, UpdateProfile

FORM_SLOTS = ["creneau", "moment_rappel", "echeance", "echeance_dite", "echeance_confirmee", "echecs_validation"]
HUMAN_OPTIONS_ASKED_AT_MOST = 2  # « Que préférez-vous ? » twice in a row at most, then the contact details
PAUSED_FORM = "formulaire_suspendu"  # the form a request for a person left, to come back to if wanted
RESUME_BUTTON = {"title": "Reprendre les questions", "payload": "/resume_form"}


def utter_service_contact(dispatcher: CollectingDispatcher) -> None:
    service = catalog.service_contact()
    dispatcher.utter_message(response="utter_human_contact", telephone=service.phone, email=service.email, horaires=service.hours)


class ActionHumanContact(Action):
    """The service's own contact details (data/service.yml)."""

    def name(self) -> str:
        return "action_human_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        utter_service_contact(dispatcher)
        return []


class ActionOfferHumanOptions(Action):
    """A mediator now if one is on duty (actions/live.py); else an appointment, a call back or the
    contact details. The choice is remembered in `mode_contact`."""

    def name(self) -> str:
        return "action_offer_human_options"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        # the rules in data/rules.yml start the form matching `mode_contact`
        paused = pause_form(tracker)
        mode = next(tracker.get_latest_entity_values("mode_contact"), None)
        if mode in ("rendez_vous", "rappel"):
            return paused + [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("mode_contact", mode)]
        if mode == "coordonnees":
            utter_service_contact(dispatcher)
            return paused + [SlotSet("mode_contact", mode)]
        record_topic(tracker)
        return paused + offer_human(dispatcher, tracker, can_resume=bool(paused) or bool(tracker.get_slot(PAUSED_FORM)))


def pause_form(tracker: Tracker) -> list:
    """Leave the questionnaire or the leave-taking questions when a person is asked for there,
    remembering which (its answers stay: coming back asks only what is left)."""
    form = (tracker.active_loop or {}).get("name")
    if form not in PAUSABLE_FORMS:
        return []
    profile = profile_values(tracker.current_slot_values())
    if profile:  # the answers given so far reach the dossier now (the end of the questions would have stored them)
        record(tracker.sender_id, UpdateProfile(profile))
    return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(PAUSED_FORM, form)]


class ActionResumeForm(Action):
    """« Reprendre les questions »: back to the form a request for a person left, where it stopped."""

    def name(self) -> str:
        return "action_resume_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        form = tracker.get_slot(PAUSED_FORM)
        if form not in PAUSABLE_FORMS:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return [SlotSet(PAUSED_FORM, None), SlotSet("mode_contact", None), FollowupAction(form)]


def offer_human(dispatcher: CollectingDispatcher, tracker: Tracker, can_resume: bool = False) -> list:
    """A mediator now if one is on duty, else « Que préférez-vous ? » (never a third time in a row),
    with « Reprendre les questions » when a request for a person left a form (`can_resume`)."""
    handed_over = try_live_handover(dispatcher, tracker)  # a mediator on duty joins the chat now
    if handed_over is not None:
        return [SlotSet("mode_contact", None), *handed_over]
    if human_options_asked_in_a_row(tracker) >= HUMAN_OPTIONS_ASKED_AT_MOST:
        utter_service_contact(dispatcher)  # no choice made twice: the ways to reach the team, and move on
        return [SlotSet("mode_contact", "coordonnees")]
    dispatcher.utter_message(response="utter_human_options", buttons=[RESUME_BUTTON] if can_resume else [])
    return [SlotSet("mode_contact", None)]


def human_options_asked_in_a_row(tracker: Tracker) -> int:
    """How many of the assistant's last turns ended with « Que préférez-vous ? »."""
    count = 0
    turn_asked = None
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            if turn_asked is None:
                turn_asked = (event.get("metadata") or {}).get("utter_action") == "utter_human_options"
        elif event.get("event") == "user":
            if turn_asked is None:
                continue  # the current message
            if not turn_asked:
                break
            count += 1
            turn_asked = None
    return count + (1 if turn_asked else 0)


def topic_of_request(tracker: Tracker) -> tuple[str, float] | None:
    """The need a request for a person names (« un rdv pour la facture électronique »), from the
    NLU's ranking: the best-ranked need, if confident enough."""
    message = tracker.latest_message
    return topic_in_ranking(tracker.get_intent_of_latest_message(), message.get("intent_ranking") or [], message)


def record_topic(tracker: Tracker) -> None:
    """Keep the topic of a request for a person as a need, unconfirmed, unless one is known already."""
    if tracker.get_slot("besoin") or came_from_button(tracker):
        return
    topic = topic_of_request(tracker)
    if topic is not None:
        record(tracker.sender_id, RecordNeed(*topic))
