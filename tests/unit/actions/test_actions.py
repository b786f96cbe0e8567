"""Unit tests of the custom actions, with trackers built as Rasa would send them."""

from __future__ import annotations

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.handover_menu import ActionHumanContact
from actions.listening import ActionConfirmNeed, ActionNeedDenied, ActionReformulateNeed, sector_context
from actions.tracker_utils import assistant_has_spoken, came_from_button, entity_surface, latest_intent
from bot.domain import catalog
from tests.support.actions import make_tracker, run, stored

pytestmark = pytest.mark.usefixtures("store_url")


def test_reformulation_uses_the_plain_words_of_the_need_and_introduces_itself_first():
    tracker = make_tracker("je veux un site", "presence_en_ligne", 0.87)
    messages, events = run(ActionReformulateNeed(), tracker)
    assert [m["response"] for m in messages] == ["utter_intro_short", "utter_reformulate_need"]
    assert messages[1]["besoin_phrase"] == catalog.need("presence_en_ligne").phrase
    assert messages[1]["contexte"] == ""
    assert SlotSet("besoin", "presence_en_ligne") in events
    assert SlotSet("besoin_confiance", 0.87) in events
    assert SlotSet("besoin_confirme", False) in events


def test_reformulation_does_not_introduce_itself_twice():
    tracker = make_tracker("site web", "presence_en_ligne", events=[{"event": "bot", "text": "Bonjour"}])
    messages, _ = run(ActionReformulateNeed(), tracker)
    assert [m["response"] for m in messages] == ["utter_reformulate_need"]


def test_reformulation_mentions_the_trade_in_the_persons_words():
    text = "je suis Coiffeuse et je veux des avis"
    start = text.index("Coiffeuse")
    entity = {"entity": "secteur", "value": "beaute_bien_etre", "start": start, "end": start + 9}
    tracker = make_tracker(text, "presence_en_ligne", entities=[entity])
    assert sector_context(tracker) == "pour votre activité de coiffeuse, "


def test_a_need_chosen_by_button_is_confirmed_without_reformulating():
    tracker = make_tracker("/outils_internes", "outils_internes", 1.0)
    messages, events = run(ActionReformulateNeed(), tracker)
    assert messages == []
    assert FollowupAction("action_confirm_need") in events


def test_reformulation_without_a_need_offers_the_menu():
    messages, events = run(ActionReformulateNeed(), make_tracker("euh", "greet"))
    assert [m["response"] for m in messages] == ["utter_choose_need"]
    assert events == []


def test_confirmation_notes_the_need():
    tracker = make_tracker("oui", "affirm", slots={"besoin": "former_salaries"})
    messages, events = run(ActionConfirmNeed(), tracker)
    assert [m["response"] for m in messages] == ["utter_need_noted"]
    assert messages[0]["besoin_phrase"] == catalog.need("former_salaries").phrase
    assert events == [SlotSet("besoin_confirme", True)]


def test_confirmation_without_a_need_offers_the_menu():
    messages, events = run(ActionConfirmNeed(), make_tracker("oui", "affirm"))
    assert [m["response"] for m in messages] == ["utter_choose_need"] and events == []


def test_human_contact_comes_from_the_service_data_file():
    messages, _ = run(ActionHumanContact(), make_tracker("un humain", "ask_human"))
    contact = catalog.service_contact()
    assert messages[0]["response"] == "utter_human_contact"
    assert (messages[0]["telephone"], messages[0]["email"], messages[0]["horaires"]) == (
        contact.phone,
        contact.email,
        contact.hours,
    )


def test_tracker_readers():
    tracker = make_tracker("  /affirm", "affirm", 0.5)
    assert came_from_button(tracker)
    assert latest_intent(tracker) == ("affirm", 0.5)
    assert not assistant_has_spoken(tracker)
    assert entity_surface(tracker, "secteur") is None
    broken = make_tracker("abc", "x", entities=[{"entity": "secteur", "start": 2, "end": 99}])
    assert entity_surface(broken, "secteur") is None


def test_the_need_and_its_confirmation_are_stored_in_the_dossier(store_url):
    tracker = make_tracker("je veux des avis", "presence_en_ligne", 0.8, slots={"secteur": "commerce"})
    run(ActionReformulateNeed(), tracker)
    run(ActionNeedDenied(), make_tracker("non", "deny"))
    run(ActionReformulateNeed(), make_tracker("/nouveaux_services_digitaux", "nouveaux_services_digitaux", 1.0))
    run(ActionConfirmNeed(), make_tracker("", "nouveaux_services_digitaux", slots={"besoin": "nouveaux_services_digitaux"}))
    dossier = stored(store_url)
    assert dossier["needs"] == [
        {"intent": "presence_en_ligne", "confidence": 0.8, "confirmed": False, "corrected_to": "nouveaux_services_digitaux"},
        {"intent": "nouveaux_services_digitaux", "confidence": 1.0, "confirmed": True, "corrected_to": None},
    ]
    assert dossier["profile"] == {"secteur": "commerce"}


def test_denial_offers_the_menu():
    messages, events = run(ActionNeedDenied(), make_tracker("non", "deny"))
    assert [m["response"] for m in messages] == ["utter_choose_need"]
    assert events == [SlotSet("besoin_confirme", False)]


def test_a_storage_failure_does_not_break_the_conversation(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    messages, events = run(ActionReformulateNeed(), make_tracker("site web", "presence_en_ligne"))
    assert messages[-1]["response"] == "utter_reformulate_need"
    assert SlotSet("besoin", "presence_en_ligne") in events
