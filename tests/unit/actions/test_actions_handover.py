"""Unit tests of the handover actions: options, consent, validation, booking, call back."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import text

from actions.booking import ActionAskCreneau, ActionBookAppointment, ValidateRendezVousForm
from actions.callback import ActionRequestCallback, ValidateRappelForm
from actions.handover_menu import ActionOfferHumanOptions
from bot import clock
from bot.domain.profile import NOT_GIVEN
from bot.ops import store_cli
from bot.store import db, dossiers, scheduling
from bot.store.tables import Appointment, OutgoingMail
from tests.support.actions import ALWAYS_OPEN, CONSENTED, make_tracker, run, stored
from tests.support.clock import AT

pytestmark = pytest.mark.usefixtures("store_url")


def responses(messages):
    return [m["response"] for m in messages]


def with_entity(text, entity, value):
    return make_tracker(text, "ask_human", 1.0, entities=[{"entity": entity, "value": value}])


def test_options_then_the_chosen_form(monkeypatch):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)  # open, but no mediator available (actions_live tests the rest)
    messages, events = run(ActionOfferHumanOptions(), make_tracker("un humain", "ask_human"))
    assert responses(messages) == ["utter_nobody_available", "utter_human_options"]
    assert events == [SlotSet("mode_contact", None)]
    _, events = run(ActionOfferHumanOptions(), with_entity("/ask_human", "mode_contact", "rendez_vous"))
    assert events[-1] == SlotSet("mode_contact", "rendez_vous") and SlotSet("creneau", None) in events
    _, events = run(ActionOfferHumanOptions(), with_entity("/ask_human", "mode_contact", "rappel"))
    assert events[-1] == SlotSet("mode_contact", "rappel")
    messages, _ = run(ActionOfferHumanOptions(), with_entity("/ask_human", "mode_contact", "coordonnees"))
    assert responses(messages) == ["utter_human_contact"]


def test_consent_is_timestamped_and_refusal_asks_nothing_more():
    form = ValidateRappelForm()
    result = form.validate_consentement(True, None, make_tracker(), {})
    assert result["consentement"] is True
    age = datetime.now(timezone.utc) - datetime.fromisoformat(result["consentement_le"])
    assert timedelta(0) <= age < timedelta(minutes=1)
    tracker = make_tracker(slots={"consentement": False})
    assert asyncio.run(form.required_slots(["consentement", "contact_nom"], None, tracker, {})) == []


def test_wrong_contact_is_asked_again_then_given_up():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateRendezVousForm(), CollectingDispatcher()
    first = form.validate_contact_coordonnees("paul@orange", dispatcher, make_tracker(), {})
    assert first == {"contact_coordonnees": None, "echecs_validation": 1}
    second = form.validate_contact_coordonnees("jsp", dispatcher, make_tracker(slots={"echecs_validation": 1}), {})
    assert second == {"contact_coordonnees": NOT_GIVEN, "echecs_validation": 0}
    # what is wrong with the address, then the usual « invalid » question again
    assert dispatcher.messages[0]["text"] == "Après le « @ », il manque la fin de l'adresse (par exemple « orange.fr »)."
    assert responses(dispatcher.messages[1:]) == ["utter_invalid_contact", "utter_moving_on"]
    ok = form.validate_contact_coordonnees("+33612345678", dispatcher, make_tracker(), {})
    assert ok == {"contact_coordonnees": "+33612345678", "echecs_validation": 0}
    assert form.validate_contact_coordonnees(None, dispatcher, make_tracker(), {}) == {"contact_coordonnees": None}


def test_deadline_and_moment_validation():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateRappelForm(), CollectingDispatcher()
    assert form.validate_echeance("pas d'échéance", dispatcher, make_tracker(), {})["echeance"] == NOT_GIVEN
    assert form.validate_echeance("n'importe quoi", dispatcher, make_tracker(), {})["echeance"] is None
    moment = form.validate_moment_rappel("  le   matin ", dispatcher, make_tracker(), {})
    assert moment == {"moment_rappel": "le matin"}


def test_free_slots_are_offered_as_buttons(store_url):
    messages, events = run(ActionAskCreneau(), make_tracker())
    assert responses(messages) == ["utter_no_free_slot"] and SlotSet("creneau", NOT_GIVEN) in events
    with db.session(store_url) as session:
        store_cli.create_demo_data(session)
    messages, _ = run(ActionAskCreneau(), make_tracker())
    assert len(messages[0]["buttons"]) == 3 and messages[0]["buttons"][0]["payload"].startswith("/inform")


def test_booking_stores_contact_consent_and_appointment(store_url, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: AT)  # the actions' one clock
    with db.session(store_url) as session:
        store_cli.create_demo_data(session, today=AT.date())
        slot = scheduling.free_slots(session, AT, 1)[0].id
    messages, events = run(ActionBookAppointment(), make_tracker(slots={**CONSENTED, "creneau": str(slot)}))
    assert responses(messages) == ["utter_appointment_confirmed", "utter_anything_else"]
    dossier = stored(store_url)
    assert dossier["appointment"]["reference"] == messages[0]["reference"]
    with db.session(store_url) as session:  # booked at the clock's moment, and its e-mails queued then
        booked = session.query(Appointment.created_at).scalar()
        queued = {at for (at,) in session.query(OutgoingMail.created_at)}
    assert booked == AT and queued == {AT}
    assert dossier["contact"]["phone"] == "+33612345678" and dossier["contact"]["consent_at"]
    # the same slot again: taken, the form offers other slots
    messages, events = run(ActionBookAppointment(), make_tracker(slots={**CONSENTED, "creneau": str(slot)}))
    assert responses(messages) == ["utter_slot_taken"] and FollowupAction("rendez_vous_form") in events


def test_no_consent_or_no_contact_gives_the_service_contact(store_url):
    messages, _ = run(ActionRequestCallback(), make_tracker(slots={"consentement": False}))
    assert responses(messages) == ["utter_no_consent", "utter_human_contact"]
    no_contact = {**CONSENTED, "contact_coordonnees": NOT_GIVEN}
    messages, _ = run(ActionBookAppointment(), make_tracker(slots=no_contact))
    assert responses(messages) == ["utter_no_contact", "utter_human_contact"]
    assert stored(store_url)["contact"]["consent_at"] is None


def test_callback_is_stored_with_its_deadline(store_url):
    slots = {**CONSENTED, "moment_rappel": "le matin", "echeance": "2030-01-15"}
    messages, _ = run(ActionRequestCallback(), make_tracker(slots=slots))
    assert messages[0]["echeance"].startswith(", avant le mardi 15 janvier")  # said in French (year unless this one)
    assert messages[0]["moment"] == ", le matin"
    assert stored(store_url)["callback"] == {"preferred_moment": "le matin", "deadline": "2030-01-15"}


def test_contact_without_consent_is_refused_by_the_store(store_url):
    with db.session(store_url) as session, pytest.raises(ValueError, match="consent"):
        dossiers.record_contact(session, "x", "Marie", None, "06 12 34 56 78", None, now=AT)


def test_booking_in_an_erased_conversation_answers_politely_and_stores_nothing(store_url):
    """A script reusing the id of a conversation the person erased gets the plain answer (booking
    failed, the service's contact), not a broken action; no dossier comes back."""
    from bot.store import erasures

    with db.session(store_url) as session:
        store_cli.create_demo_data(session)
        slot = scheduling.free_slots(session, datetime.now(timezone.utc), 1)[0].id
        tracker = make_tracker(slots={**CONSENTED, "creneau": str(slot)})
        erasures.remember(session, tracker.sender_id, now=datetime.now(timezone.utc))
        session.commit()
    messages, _ = run(ActionBookAppointment(), tracker)
    assert responses(messages) == ["utter_booking_failed", "utter_human_contact"]
    with db.session(store_url) as session:
        assert scheduling.free_slots(session, datetime.now(timezone.utc), 50)[0].id == slot
        assert session.execute(text("select count(*) from dossiers")).scalar() == 0
