"""A call back: the preferred moment, a deadline, the request kept in the dossier and confirmed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contact_form import ContactFormValidation, cannot_continue, contact_details
from actions.deadlines import DeadlineValidation, today
from actions.dossier import record
from bot.domain import contact
from bot.domain.profile import NOT_GIVEN, skipped
from bot.language import dates
from bot.store.dossier_writes import RecordContact, RequestCallback


class ValidateRappelForm(ContactFormValidation, DeadlineValidation):
    def name(self) -> str:
        return "validate_rappel_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("echeance") == NOT_GIVEN:
            return [s for s in slots if s != "echeance_confirmee"]  # no date to confirm
        return slots

    def validate_moment_rappel(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        """« demain en fin de matinée », « mercredi matin », « peu importe »: kept as said back in French."""
        if value is None:
            return {"moment_rappel": None}
        text = " ".join(str(value or "").split())[:200]
        if not text or skipped(text):
            return {"moment_rappel": NOT_GIVEN}
        moment = dates.parse_moment(text, today())
        if moment is None:
            return {"moment_rappel": text}  # the person's own words: the mediator will read them
        said = moment.said(today())
        return {"moment_rappel": said or NOT_GIVEN}


class ActionRequestCallback(Action):
    def name(self) -> str:
        return "action_request_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if cannot_continue(dispatcher, tracker):
            return []
        moment = tracker.get_slot("moment_rappel")
        deadline = tracker.get_slot("echeance")
        deadline_date = None if deadline in (None, NOT_GIVEN) else datetime.fromisoformat(deadline).date()
        contact_fields = contact_details(tracker)
        record(
            tracker.sender_id,
            RecordContact(contact_fields["name"], contact_fields["email"], contact_fields["phone"], contact_fields["consent_at"]),
            RequestCallback(None if moment == NOT_GIVEN else moment, deadline_date),
        )
        when = f", avant le {dates.french_date(deadline_date, today())}" if deadline_date else ""
        dispatcher.utter_message(
            response="utter_callback_confirmed",
            # « vous rappellera au 06 12 34 56 78 » or « vous écrira à marie@exemple.fr », as people read it
            coordonnees=f"vous écrira à {contact_fields['email']}"
            if contact_fields["email"]
            else f"vous rappellera au {contact.display_phone(contact_fields['phone'])}",
            moment=f", {moment}" if moment not in (None, NOT_GIVEN) else "",
            echeance=when,
        )
        dispatcher.utter_message(response="utter_anything_else")
        return []
