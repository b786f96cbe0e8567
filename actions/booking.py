"""An appointment with a mediator: the next free slots as buttons, the slot chosen (or typed), the booking
(committed here, the action being the transaction boundary) and its confirmation; a slot taken
meanwhile is said, a store that does not answer turns the request into a call back.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.contact_form import ContactFormValidation, cannot_continue, contact_details, reaching_back
from actions.dossier import read, record
from actions.handover_menu import utter_service_contact
from actions.slot_matching import french_datetime, match_slot_moment, payload_slot_id, shown_slots
from bot import clock, settings
from bot.domain import catalog
from bot.domain.profile import NOT_GIVEN
from bot.language import answers
from bot.mail import texts as mail_texts
from bot.store import db, erasures, scheduling
from bot.store.dossier_writes import RecordContact, RequestCallback


class ActionAskCreneau(Action):
    """The next free slots of the mediators, as buttons."""

    def name(self) -> str:
        return "action_ask_creneau"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        slots = read(
            lambda session: [
                (s.id, french_datetime(s.starts_at), s.mediator.name.split()[0], mail_texts.mode_label(s.mode))
                for s in scheduling.free_slots(session, after=clock.now(), limit=3)
            ]
        )
        if slots is None:  # the store does not answer: the form goes on towards a call back
            dispatcher.utter_message(response="utter_slots_unavailable", recontact=reaching_back(tracker))
            return [SlotSet("creneau", NOT_GIVEN), SlotSet("requested_slot", None)]
        if not slots:
            dispatcher.utter_message(response="utter_no_free_slot", recontact=reaching_back(tracker))
            return [SlotSet("creneau", NOT_GIVEN), SlotSet("requested_slot", None)]
        buttons = [
            {"title": f"{when} ({mode}) avec {who}", "payload": f'/inform{{"creneau": "{slot_id}"}}'}
            for slot_id, when, who, mode in slots
        ]
        dispatcher.utter_message(response="utter_ask_creneau", buttons=buttons)
        return []


class ValidateRendezVousForm(ContactFormValidation):
    def name(self) -> str:
        return "validate_rendez_vous_form"

    def validate_creneau(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"creneau": None}
        if str(value).isdigit():
            free = read(lambda session: {s.id for s in scheduling.free_slots(session, clock.now(), limit=50)})
            if free is None or int(value) in free:  # unknown now: booking checks again, and says so if it fails
                return {"creneau": str(value), "echecs_validation": 0}
            dispatcher.utter_message(response="utter_slot_taken")
            return {"creneau": None}
        if value == NOT_GIVEN:
            return {"creneau": NOT_GIVEN}
        shown = shown_slots(tracker)
        found = answers.match(shown, str(value)) if shown else answers.Result()
        if found.option is None and shown:
            found = match_slot_moment(shown, str(value))
        if found.option is not None:
            return self.validate_creneau(payload_slot_id(found.option.key), dispatcher, tracker, domain)
        if found.ambiguous and int(tracker.get_slot("echecs_validation") or 0) + 1 < catalog.max_validation_failures():
            dispatcher.utter_message(
                response="utter_which_one", buttons=[{"title": o.title, "payload": o.key} for o in found.candidates]
            )
            return {"creneau": None, "echecs_validation": int(tracker.get_slot("echecs_validation") or 0) + 1}
        return self.retry_or_move_on(tracker, dispatcher, "creneau", "utter_invalid_creneau")


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if cannot_continue(dispatcher, tracker):
            return []
        slot_id = tracker.get_slot("creneau")
        if slot_id in (None, NOT_GIVEN):  # no slot suits or none is free: a call back instead
            return [FollowupAction("action_request_callback")]
        fields = contact_details(tracker)
        contact_step = RecordContact(fields["name"], fields["email"], fields["phone"], fields["consent_at"])
        booked, unavailable = None, False
        if record(tracker.sender_id, contact_step):
            try:
                with db.session(settings.current().database_url) as session:
                    try:
                        appointment = scheduling.book_slot(session, tracker.sender_id, int(slot_id), now=clock.now())
                        booked = (appointment.reference, appointment.slot.starts_at, appointment.slot.mediator.name)
                    except scheduling.SlotTaken:  # only the booking's savepoint was undone
                        pass
                    session.commit()  # the boundary commits (issue 18): the booking and its e-mails together
            except (SQLAlchemyError, erasures.ConversationErased):
                # an erased conversation gets no dossier back: the person hears the plain way to reach us
                unavailable = True
        else:
            unavailable = True
        if unavailable:
            # Say it plainly, and keep a call-back request (spooled if need be) so nobody is forgotten.
            record(tracker.sender_id, RequestCallback(None, None))
            dispatcher.utter_message(response="utter_booking_failed", recontact=reaching_back(tracker))
            utter_service_contact(dispatcher)
            return []
        if booked is None:
            dispatcher.utter_message(response="utter_slot_taken")
            return [SlotSet("creneau", None), FollowupAction("rendez_vous_form")]
        reference, starts_at, mediator = booked
        service = catalog.service_contact()
        dispatcher.utter_message(
            response="utter_appointment_confirmed",
            quand=french_datetime(starts_at),
            mediateur=mediator.split()[0],
            reference=reference,
            telephone=service.phone,
            email=service.email,
        )
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("reference_rdv", reference)]
