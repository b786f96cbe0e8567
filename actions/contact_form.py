"""Consent and a way to reach the person, validated; what the handover forms share.

Contact details are asked only after the person agreed to their being kept for this purpose;
the consent time is stored with them. Each answer is validated; after `max_validation_failures`
wrong answers (data/service.yml) the assistant moves on rather than loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import limits
from actions.form_validation import RetryingFormValidation
from actions.handover_menu import utter_service_contact
from bot import clock
from bot.domain import catalog, contact
from bot.domain.profile import NOT_GIVEN, skipped
from bot.language.textnorm import normalize


class ActionAskConsentement(Action):
    """The consent question, with the retention period the purge applies (data/service.yml)."""

    def name(self) -> str:
        return "action_ask_consentement"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_ask_consentement", duree=catalog.retention_months())
        return []


class ContactValidation(RetryingFormValidation):
    """Consent and a way to reach the person: the call-back and appointment forms, and the
    leave-taking form (follow-up, synthesis by e-mail)."""

    def validate_consentement(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"consentement": None}
        if value is True:
            return {"consentement": True, "consentement_le": clock.now().isoformat()}
        if value is False:
            return {"consentement": False}
        return {"consentement": None}

    def validate_contact_nom(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"contact_nom": None}
        name = " ".join(str(value or "").split())[:100]
        if not name or name.startswith("/"):
            return self.retry_or_move_on(tracker, dispatcher, "contact_nom", "utter_invalid_name")
        if any(word in name.lower() for word in ("pas répondre", "pas repondre", "préfère pas", "prefere pas")):
            return {"contact_nom": NOT_GIVEN, "echecs_validation": 0}
        return {"contact_nom": name, "echecs_validation": 0}

    def validate_contact_coordonnees(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"contact_coordonnees": None}
        if self.may_skip_contact and (
            skipped(str(value))
            or tracker.get_intent_of_latest_message() == "deny"
            or normalize(str(value)) in ("passer", "non", "non merci")
        ):
            return {"contact_coordonnees": NOT_GIVEN, "echecs_validation": 0}
        found = contact.parse_contact(str(value or ""))
        if found is None:
            problem = contact.contact_problem(str(value or ""))  # e.g. « deux points à la suite »
            if problem:
                dispatcher.utter_message(text=problem)
            return self.retry_or_move_on(tracker, dispatcher, "contact_coordonnees", "utter_invalid_contact")
        return {"contact_coordonnees": found[1], "echecs_validation": 0}

    may_skip_contact = False  # « passer »: only where the contact is optional (leave-taking)


class ContactFormValidation(ContactValidation):
    """What both handover forms share: consent first, then a name and a way to reach the person."""

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        if tracker.get_slot("consentement") is False:
            return []  # no consent: ask nothing more
        if tracker.get_slot("contact_coordonnees") == NOT_GIVEN:
            return [s for s in domain_slots if s in ("consentement", "contact_nom", "contact_coordonnees")]
        return domain_slots


def contact_details(tracker: Tracker) -> dict[str, Any]:
    value = tracker.get_slot("contact_coordonnees")
    kind = contact.parse_contact(value)[0] if value and value != NOT_GIVEN else None
    name = tracker.get_slot("contact_nom")
    consent = tracker.get_slot("consentement_le")
    return {
        "name": None if name in (None, NOT_GIVEN) else name,
        "email": value if kind == "email" else None,
        "phone": value if kind == "phone" else None,
        "consent_at": datetime.fromisoformat(consent) if consent else None,
    }


def reaching_back(tracker: Tracker) -> str:
    """How the mediator will come back to the person: « vous rappellera » only with a phone
    number; with an e-mail address only, « vous écrira »."""
    fields = contact_details(tracker)
    if fields["phone"]:
        return "vous rappellera"
    return "vous écrira" if fields["email"] else "reprendra contact avec vous"


def cannot_continue(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """No consent or no way to reach the person: give the service's contact instead."""
    if tracker.get_slot("consentement") is not True:
        dispatcher.utter_message(response="utter_no_consent")
        utter_service_contact(dispatcher)
        return True
    if tracker.get_slot("contact_coordonnees") in (None, NOT_GIVEN):
        dispatcher.utter_message(response="utter_no_contact")
        utter_service_contact(dispatcher)
        return True
    if not limits.handover_allowed(tracker):  # too many requests from one client (actions/limits.py)
        limits.refuse_handover(dispatcher)
        return True
    return False
