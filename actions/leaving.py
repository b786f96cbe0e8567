"""« Prendre congé et s'assurer de la satisfaction »: the seed's follow-up, the synthesis by
e-mail, satisfaction, a tip, goodbye.

After a need was handled, one short, skippable question at a time (satisfaction_form):
- when pistes were given (something to act on): is there a deadline (said back for
  confirmation, bot/language/dates.py), and would the person like a mediator to get back in touch
  « vers le … » (a week after the deadline, or a few weeks later: data/service.yml) to see whether
  it worked;
- would they like the synthesis of the exchange by e-mail (bot/mail/, kind « synthese »);
- for either, consent first, then a phone or an e-mail address (an e-mail for the synthesis),
  only when none is known yet;
- satisfaction 1–5 and a comment, both optional.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import limits
from actions.contact_form import ContactValidation
from actions.deadlines import DeadlineValidation, confirmed_deadline, today
from actions.dossier import record
from bot.domain import catalog, contact, knowledge, options
from bot.domain.profile import NOT_GIVEN, skipped
from bot.language.dates import french_date
from bot.language.textnorm import normalize
from bot.store.dossier_writes import DossierWrite, RecordContact, RecordLeave, RequestSynthesis

COMMENT_MAX_CHARS = 1000
NO_COMMENT = {"non", "non merci", "non c'est tout", "non c est tout", "rien", "c'est tout", "non rien"}
SKIP_CONTACT = {"passer", "non", "non merci", "pas d e mail", "pas de mail", "je n ai pas d e mail", "aucun"}


def has_pistes(tracker: Tracker) -> bool:
    """Pistes were given for a need: there is something to act on, and to follow up."""
    return bool(tracker.get_slot("solutions_presentees"))


def known_contact(tracker: Tracker) -> tuple[str | None, str | None]:
    """(e-mail, phone) the person gave with their consent in this conversation."""
    emails, phones = [], []
    if tracker.get_slot("consentement") is not True or not tracker.get_slot("consentement_le"):
        return None, None
    for slot in ("adresse_email", "contact_coordonnees"):
        value = tracker.get_slot(slot)
        found = contact.parse_contact(value) if value and value != NOT_GIVEN else None
        if found is not None:
            (emails if found[0] == "email" else phones).append(found[1])
    return (emails[0] if emails else None), (phones[0] if phones else None)


def follow_up_day(tracker: Tracker) -> date:
    return catalog.follow_up_date(confirmed_deadline(tracker), today())


class ActionTakeLeave(Action):
    """After a need was handled, ask the short leave-taking questions before saying goodbye; else just goodbye."""

    def name(self) -> str:
        return "action_take_leave"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_slot("besoin_confirme") and tracker.get_slot("satisfaction") is None:
            events = [SlotSet("echecs_validation", 0)]
            if tracker.get_slot("consentement") is False:
                events.append(SlotSet("consentement", None))  # refused for a call back: asked again only if wanted now
            if tracker.get_slot("contact_coordonnees") == NOT_GIVEN:
                events.append(SlotSet("contact_coordonnees", None))
            return [*events, FollowupAction("satisfaction_form")]
        dispatcher.utter_message(response="utter_goodbye")
        return []


class ActionAskSuivi(Action):
    """« Souhaitez-vous qu'un médiateur reprenne contact avec vous vers le lundi 4 janvier … ? »"""

    def name(self) -> str:
        return "action_ask_suivi"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_ask_suivi", quand=f"vers le {french_date(follow_up_day(tracker), today())}")
        return []


class ActionAskLeaveConsent(Action):
    """Consent for what the person just asked for: the follow-up, the synthesis, or both."""

    def name(self) -> str:
        return "action_ask_satisfaction_form_consentement"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        purposes = []
        if tracker.get_slot("synthese") is True:
            purposes.append("vous envoyer le résumé")
        if tracker.get_slot("suivi") is True:
            purposes.append("reprendre contact avec vous")
        means = "votre téléphone ou votre e-mail" if tracker.get_slot("suivi") is True else "votre adresse e-mail"
        dispatcher.utter_message(
            response="utter_ask_consentement_suivi",
            objet=" et ".join(purposes),
            coordonnees=means,
            duree=catalog.retention_months(),
        )
        return []


class ValidateSatisfactionForm(ContactValidation, DeadlineValidation):
    may_skip_contact = True

    def name(self) -> str:
        return "validate_satisfaction_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        slots = []
        if has_pistes(tracker):
            slots.append("echeance")
            if tracker.get_slot("echeance") not in (None, NOT_GIVEN):
                slots.append("echeance_confirmee")
            slots.append("suivi")
        slots.append("synthese")
        follow_up, synthesis = tracker.get_slot("suivi") is True, tracker.get_slot("synthese") is True
        if follow_up or synthesis:
            if tracker.get_slot("consentement") is not True or not tracker.get_slot("consentement_le"):
                slots.append("consentement")
            if tracker.get_slot("consentement") is True:
                email, phone = known_contact(tracker)
                if synthesis and email is None:
                    slots.append("adresse_email")  # serves the follow-up too
                skipped_email = not synthesis or tracker.get_slot("adresse_email") == NOT_GIVEN
                if follow_up and email is None and phone is None and skipped_email:
                    slots.append("contact_coordonnees")  # no e-mail for the synthesis: a phone will do
        return [*slots, "satisfaction", "commentaire"]

    def validate_suivi(self, value, dispatcher, tracker, domain) -> dict:
        return {"suivi": value if isinstance(value, bool) else None}

    def validate_synthese(self, value, dispatcher, tracker, domain) -> dict:
        return {"synthese": value if isinstance(value, bool) else None}

    def validate_adresse_email(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"adresse_email": None}
        text = str(value)
        if skipped(text) or normalize(text) in SKIP_CONTACT or tracker.get_intent_of_latest_message() == "deny":
            return {"adresse_email": NOT_GIVEN, "echecs_validation": 0}
        found = contact.parse_contact(text)
        if found is not None and found[0] == "email":
            return {"adresse_email": found[1], "echecs_validation": 0}
        problem = contact.contact_problem(text) if found is None else None  # « deux points à la suite »
        if problem:
            dispatcher.utter_message(text=problem)
        events = self.retry_or_move_on(tracker, dispatcher, "adresse_email", "utter_invalid_email")
        if found is not None and tracker.get_slot("contact_coordonnees") in (None, NOT_GIVEN):
            events["contact_coordonnees"] = found[1]  # a phone: not for the synthesis, but for the follow-up
        return events

    def validate_satisfaction(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"satisfaction": None}
        found = options.understand("utter_ask_satisfaction", str(value)).option  # « 4/5 », « très utile »
        if found is not None:
            return {"satisfaction": found.key if found.key.isdigit() else NOT_GIVEN}
        if skipped(str(value)):
            return {"satisfaction": NOT_GIVEN}
        dispatcher.utter_message(response="utter_invalid_satisfaction")
        return {"satisfaction": NOT_GIVEN}  # asked once; never insist

    def validate_commentaire(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"commentaire": None}
        comment = " ".join(str(value).split())[:COMMENT_MAX_CHARS]
        declined = tracker.get_intent_of_latest_message() == "deny" or normalize(comment) in NO_COMMENT
        if declined or skipped(comment) or comment.startswith("/"):
            return {"commentaire": NOT_GIVEN}
        return {"commentaire": comment}


class ActionGoodbye(Action):
    """Store the answers (contact, deadline, follow-up date, synthesis), leave one awareness tip
    tied to the need, say what happens next, say goodbye."""

    def name(self) -> str:
        return "action_goodbye"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        score = tracker.get_slot("satisfaction")
        comment = tracker.get_slot("commentaire")
        follow_up, synthesis = tracker.get_slot("suivi"), tracker.get_slot("synthese") is True
        email, phone = known_contact(tracker)
        # the service's mail cannot be aimed at any inbox: limits per recipient and per client address
        refused = bool(synthesis and email) and not limits.synthesis_allowed(tracker, email)
        synthesis = synthesis and not refused
        deadline = confirmed_deadline(tracker)
        follow_up_on = follow_up_day(tracker) if follow_up is True and (email or phone) else None
        writes: list[DossierWrite] = []
        if email or phone:
            name = tracker.get_slot("contact_nom")
            consent = tracker.get_slot("consentement_le")
            writes.append(
                RecordContact(None if name in (None, NOT_GIVEN) else name, email, phone, datetime.fromisoformat(consent))
            )
        writes.append(
            RecordLeave(
                follow_up,
                int(score) if score and score.isdigit() else None,
                comment if comment and comment != NOT_GIVEN else None,
                deadline,
                follow_up_on,
            )
        )
        if synthesis and email:
            writes.append(RequestSynthesis())
        record(tracker.sender_id, *writes)

        need = catalog.need(tracker.get_slot("besoin") or "")
        if need is not None and tracker.get_slot("reponse_utile") is not True:
            dispatcher.utter_message(response="utter_tip", conseil=knowledge.entry(need.id).tip)
        if follow_up_on is not None:
            dispatcher.utter_message(response="utter_follow_up_planned", date=french_date(follow_up_on, today()))
        elif follow_up is True:
            service = catalog.service_contact()
            dispatcher.utter_message(response="utter_follow_up_without_contact", telephone=service.phone, email=service.email)
        if refused:
            limits.refuse_synthesis(dispatcher)
        elif synthesis and email:
            dispatcher.utter_message(response="utter_synthesis_sent", email=email)
        elif synthesis:
            dispatcher.utter_message(response="utter_synthesis_without_email")
        dispatcher.utter_message(response="utter_goodbye")
        return []
