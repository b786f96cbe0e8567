"""Reaching a human mediator: an appointment in a free slot, or a call back, with consent.

Contact details are asked only after the person agreed to their being kept for this purpose;
the consent time is stored with them. Each answer is validated; after `max_validation_failures`
wrong answers (data/service.yml) the assistant moves on rather than loop.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.dossier import read, record
from bot.store.dossier_writes import RecordContact, RecordNeed, RequestCallback
from actions.tracker_utils import came_from_button
from actions.form_validation import RetryingFormValidation
from actions import limits
from actions.live import try_live_handover
from bot.domain import catalog, contact
from bot import clock, settings
from bot.language.french import time_of_day, typeset
from bot.domain.opening_hours import MONTHS, WEEKDAYS
from bot.language import answers, dates
from bot.mail import texts as mail_texts
from bot.domain.profile import NOT_GIVEN, skipped
from bot.language.textnorm import normalize
from bot.settings import PARIS
from bot.store import db, erasures, scheduling

FORM_SLOTS = ["creneau", "moment_rappel", "echeance", "echeance_dite", "echeance_confirmee", "echecs_validation"]
HUMAN_OPTIONS_ASKED_AT_MOST = 2  # « Que préférez-vous ? » twice in a row at most, then the contact details
TOPIC_MIN_CONFIDENCE = 0.02  # the best need ranked after ask_human, this high, is the topic (docs/conversation.md)


def french_datetime(moment: datetime) -> str:
    """« mercredi 2 décembre à 14 h », « … à 9 h 30 » in Paris time (bot/language/french.py: one time format)."""
    local = moment.astimezone(PARIS)
    return typeset(
        f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} à " f"{time_of_day(local.hour, local.minute)}"
    )


def utter_service_contact(dispatcher: CollectingDispatcher) -> None:
    service = catalog.service_contact()
    dispatcher.utter_message(response="utter_human_contact", telephone=service.phone, email=service.email, horaires=service.hours)


class ActionHumanContact(Action):
    """The service's own contact details (data/service.yml)."""

    def name(self) -> str:
        return "action_human_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        utter_service_contact(dispatcher)
        return []


class ActionOfferHumanOptions(Action):
    """A mediator now if one is on duty (actions/live.py); else an appointment, a call back or the
    contact details. The choice is remembered in `mode_contact`."""

    def name(self) -> str:
        return "action_offer_human_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        # the rules in data/rules.yml start the form matching `mode_contact`
        mode = next(tracker.get_latest_entity_values("mode_contact"), None)
        if mode in ("rendez_vous", "rappel"):
            return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("mode_contact", mode)]
        if mode == "coordonnees":
            utter_service_contact(dispatcher)
            return [SlotSet("mode_contact", mode)]
        record_topic(tracker)
        return offer_human(dispatcher, tracker)


def offer_human(dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """A mediator now if one is on duty, else « Que préférez-vous ? » (never a third time in a row)."""
    handed_over = try_live_handover(dispatcher, tracker)  # a mediator on duty joins the chat now
    if handed_over is not None:
        return [SlotSet("mode_contact", None), *handed_over]
    if human_options_asked_in_a_row(tracker) >= HUMAN_OPTIONS_ASKED_AT_MOST:
        utter_service_contact(dispatcher)  # no choice made twice: the ways to reach the team, and move on
        return [SlotSet("mode_contact", "coordonnees")]
    dispatcher.utter_message(response="utter_human_options")
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


def topic_in_ranking(intent: str | None, ranking: list[dict], parse: dict | None = None) -> tuple[str, float] | None:
    """(need, confidence) that an `ask_human` message names: the second reading of what it says besides
    the request (bot/rasa_extensions/patches/typed_answers.py), else the best-ranked need if confident enough."""
    if intent != "ask_human":
        return None
    if parse is not None and "topic" in parse:
        topic = parse["topic"]
        return (topic["name"], topic["confidence"]) if topic else None
    for ranked in ranking:
        need = catalog.need(ranked.get("name") or "")
        if need is not None:
            confidence = float(ranked.get("confidence") or 0.0)
            return (need.id, round(confidence, 3)) if confidence >= TOPIC_MIN_CONFIDENCE else None
    return None


def record_topic(tracker: Tracker) -> None:
    """Keep the topic of a request for a person as a need, unconfirmed, unless one is known already."""
    if tracker.get_slot("besoin") or came_from_button(tracker):
        return
    topic = topic_of_request(tracker)
    if topic is not None:
        record(tracker.sender_id, RecordNeed(*topic))


class ActionAskCreneau(Action):
    """The next free slots of the mediators, as buttons."""

    def name(self) -> str:
        return "action_ask_creneau"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        slots = read(
            lambda session: [
                (s.id, french_datetime(s.starts_at), s.mediator.name.split()[0], mail_texts.mode_label(s.mode))
                for s in scheduling.free_slots(session, after=clock.now(), limit=3)
            ]
        )
        if slots is None:  # the store does not answer: the form goes on towards a call back
            dispatcher.utter_message(response="utter_slots_unavailable")
            return [SlotSet("creneau", NOT_GIVEN), SlotSet("requested_slot", None)]
        if not slots:
            dispatcher.utter_message(response="utter_no_free_slot")
            return [SlotSet("creneau", NOT_GIVEN), SlotSet("requested_slot", None)]
        buttons = [
            {"title": f"{when} ({mode}) avec {who}", "payload": f'/inform{{"creneau": "{slot_id}"}}'}
            for slot_id, when, who, mode in slots
        ]
        dispatcher.utter_message(response="utter_ask_creneau", buttons=buttons)
        return []


class ActionAskConsentement(Action):
    """The consent question, with the retention period the purge applies (data/service.yml)."""

    def name(self) -> str:
        return "action_ask_consentement"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_ask_consentement", duree=catalog.retention_months())
        return []


class ContactValidation(RetryingFormValidation):
    """Consent and a way to reach the person: the call-back and appointment forms, and the
    leave-taking form (follow-up, synthesis by e-mail)."""

    async def validate_consentement(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"consentement": None}
        if value is True:
            return {"consentement": True, "consentement_le": clock.now().isoformat()}
        if value is False:
            return {"consentement": False}
        return {"consentement": None}

    async def validate_contact_nom(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"contact_nom": None}
        name = " ".join(str(value or "").split())[:100]
        if not name or name.startswith("/"):
            return self.retry_or_move_on(tracker, dispatcher, "contact_nom", "utter_invalid_name")
        if any(word in name.lower() for word in ("pas répondre", "pas repondre", "préfère pas", "prefere pas")):
            return {"contact_nom": NOT_GIVEN, "echecs_validation": 0}
        return {"contact_nom": name, "echecs_validation": 0}

    async def validate_contact_coordonnees(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
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


class DeadlineValidation(RetryingFormValidation):
    """« Avez-vous une échéance ? » then « Donc avant le …, c'est bien ça ? »: the call-back form
    and the leave-taking form (slots echeance, echeance_dite, echeance_confirmee)."""

    async def validate_echeance(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if value is None:
            return {"echeance": None}
        text = str(value or "")
        deadline = dates.parse_deadline(text, today())
        if deadline is None and (contact.says_no_deadline(text) or skipped(text) or normalize(text) == "passer"):
            return {"echeance": NOT_GIVEN, "echeance_dite": None, "echecs_validation": 0}
        if deadline is None:
            return self.retry_or_move_on(tracker, dispatcher, "echeance", "utter_invalid_echeance")
        return {
            "echeance": deadline.isoformat(),
            "echeance_dite": f"avant le {dates.french_date(deadline, today())}",
            "echecs_validation": 0,
        }

    async def validate_echeance_confirmee(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        """« Donc avant le mardi 20 décembre, c'est bien ça ? » — no: the deadline is asked again."""
        if value is None:
            return {"echeance_confirmee": None}
        if value is False:
            failures = int(tracker.get_slot("echecs_validation") or 0) + 1
            if failures >= catalog.max_validation_failures():
                dispatcher.utter_message(response="utter_moving_on")
                return {"echeance": NOT_GIVEN, "echeance_dite": None, "echeance_confirmee": None, "echecs_validation": 0}
            return {"echeance": None, "echeance_dite": None, "echeance_confirmee": None, "echecs_validation": failures}
        return {"echeance_confirmee": True, "echecs_validation": 0}


def confirmed_deadline(tracker: Tracker):
    """The deadline the person gave (a date), or None."""
    deadline = tracker.get_slot("echeance")
    if deadline in (None, NOT_GIVEN):
        return None
    try:
        return datetime.fromisoformat(deadline).date()
    except ValueError:
        return None


class ValidateRendezVousForm(ContactFormValidation):
    def name(self) -> str:
        return "validate_rendez_vous_form"

    async def validate_creneau(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
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
            return await self.validate_creneau(payload_slot_id(found.option.key), dispatcher, tracker, domain)
        if found.ambiguous and int(tracker.get_slot("echecs_validation") or 0) + 1 < catalog.max_validation_failures():
            dispatcher.utter_message(
                response="utter_which_one", buttons=[{"title": o.title, "payload": o.key} for o in found.candidates]
            )
            return {"creneau": None, "echecs_validation": int(tracker.get_slot("echecs_validation") or 0) + 1}
        return self.retry_or_move_on(tracker, dispatcher, "creneau", "utter_invalid_creneau")


class ValidateRappelForm(ContactFormValidation, DeadlineValidation):
    def name(self) -> str:
        return "validate_rappel_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if tracker.get_slot("echeance") == NOT_GIVEN:
            return [s for s in slots if s != "echeance_confirmee"]  # no date to confirm
        return slots

    async def validate_moment_rappel(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
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


def today():
    """Today in Paris, from the one clock (bot/clock.py)."""
    return clock.now().astimezone(PARIS).date()


def shown_slots(tracker: Tracker) -> list[answers.Option]:
    """The slots offered as buttons in the assistant's last message that offered slots."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        buttons = (event.get("data") or {}).get("buttons") or []
        slots = [b for b in buttons if payload_slot_id(str(b.get("payload", ""))) is not None]
        if slots:
            return [answers.Option(b["payload"], b["title"]) for b in slots]
    return []


def payload_slot_id(payload: str) -> str | None:
    found = re.fullmatch(r'/inform\{"creneau": "(\d+)"\}', payload)
    return found.group(1) if found else None


def match_slot_moment(shown: list[answers.Option], text: str) -> answers.Result:
    """« mercredi matin », « jeudi 14h », « le 3 à 10h », « avec Claire »: the slots that fit every detail given."""
    typed = normalize(text)
    tests = []
    day_name = next((d for d in WEEKDAYS if re.search(rf"\b{d}\b", typed)), None)
    if day_name:
        tests.append(lambda title: normalize(title).startswith(day_name))
    day_number = re.search(r"\b(?:le )?(\d{1,2})(?:er)?(?: (?:" + "|".join(normalize(m) for m in MONTHS) + r"))\b", typed)
    if day_number:
        tests.append(lambda title: re.search(rf"\b{int(day_number.group(1))}(?:er)? [a-z]", normalize(title)) is not None)
    hour = re.search(r"\b(\d{1,2}) ?h", typed)
    if hour:
        tests.append(lambda title: f" a {int(hour.group(1))} h " in f" {normalize(title)} ")
    if re.search(r"\bmatin", typed):
        tests.append(lambda title: _slot_hour(title) < 12)
    if re.search(r"\b(apres midi|aprem|apres le dejeuner)\b", typed):
        tests.append(lambda title: _slot_hour(title) >= 12)
    names = {normalize(o.title.rsplit(" avec ", 1)[-1]) for o in shown}
    name = next((n for n in names if re.search(rf"\b{n}\b", typed)), None)
    if name:
        tests.append(lambda title: normalize(title).endswith(name))
    if not tests:
        return answers.Result()
    fitting = [o for o in shown if all(test(o.title) for test in tests)]
    if len(fitting) == 1:
        return answers.Result(fitting[0], fitting, 100.0)
    return answers.Result(None, fitting, 90.0)


def _slot_hour(title: str) -> int:
    found = re.search(r"\ba (\d{1,2}) h\b", normalize(title))  # « à 9 h », « à 14 h 30 »
    return int(found.group(1)) if found else -1


def _contact_fields(tracker: Tracker) -> dict[str, Any]:
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


def _cannot_continue(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """No consent or no way to reach the person: give the service's contact instead."""
    if tracker.get_slot("consentement") is not True:
        dispatcher.utter_message(response="utter_no_consent")
        utter_service_contact(dispatcher)
        return True
    if tracker.get_slot("contact_coordonnees") in (None, NOT_GIVEN):
        dispatcher.utter_message(response="utter_no_contact")
        utter_service_contact(dispatcher)
        return True
    if not limits.handover_allowed(tracker):  # too many requests from one client (bot/rate_limits.py)
        limits.refuse_handover(dispatcher)
        return True
    return False


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if _cannot_continue(dispatcher, tracker):
            return []
        slot_id = tracker.get_slot("creneau")
        if slot_id in (None, NOT_GIVEN):  # no slot suits or none is free: a call back instead
            return [FollowupAction("action_request_callback")]
        fields = _contact_fields(tracker)
        contact_step = RecordContact(fields["name"], fields["email"], fields["phone"], fields["consent_at"])
        booked, unavailable = None, False
        if record(tracker.sender_id, contact_step):
            try:
                with db.session(settings.current().database_url) as session:
                    try:
                        appointment = scheduling.book_slot(session, tracker.sender_id, int(slot_id))
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
            dispatcher.utter_message(response="utter_booking_failed")
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


class ActionRequestCallback(Action):
    def name(self) -> str:
        return "action_request_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if _cannot_continue(dispatcher, tracker):
            return []
        moment = tracker.get_slot("moment_rappel")
        deadline = tracker.get_slot("echeance")
        deadline_date = None if deadline in (None, NOT_GIVEN) else datetime.fromisoformat(deadline).date()
        contact_fields = _contact_fields(tracker)
        record(
            tracker.sender_id,
            RecordContact(contact_fields["name"], contact_fields["email"], contact_fields["phone"], contact_fields["consent_at"]),
            RequestCallback(None if moment == NOT_GIVEN else moment, deadline_date),
        )
        when = f", avant le {dates.french_date(deadline_date, today())}" if deadline_date else ""
        dispatcher.utter_message(
            response="utter_callback_confirmed",
            coordonnees=contact_fields["email"] or contact.display_phone(contact_fields["phone"]),  # as people read it
            moment=f", {moment}" if moment not in (None, NOT_GIVEN) else "",
            echeance=when,
        )
        dispatcher.utter_message(response="utter_anything_else")
        return []
