"""The answer step: solutions with pros and cons, resources, structures, then the check and synthesis."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.answering import ActionAnswered, ActionNotAnswered, ActionPresentSolutions
from bot import france_services, knowledge, referrals
from tests.test_actions import make_tracker, run, stored

pytestmark = pytest.mark.usefixtures("store_url")


def responses(messages):
    return [m["response"] for m in messages]


def test_solutions_resources_and_structures_are_presented_and_stored(store_url):
    tracker = make_tracker("oui", "affirm", slots={"besoin": "presence_en_ligne", "secteur": "batiment"})
    messages, events = run(ActionPresentSolutions(), tracker)
    solutions = knowledge.solutions_for("presence_en_ligne")
    assert responses(messages) == (
        ["utter_solutions_intro"] + ["utter_solution"] * len(solutions)
        + ["utter_resources", "utter_structures", "utter_ask_answered"]
    )
    assert [m["titre"] for m in messages if m["response"] == "utter_solution"] == [s.title for s in solutions]
    assert all(m["avantages"] and m["inconvenients"] for m in messages if m["response"] == "utter_solution")
    structures = referrals.for_need("presence_en_ligne", "batiment")[:3]
    assert "Chambre de métiers" in messages[-2]["structures"] or "CMA" in messages[-2]["structures"]
    assert SlotSet("solutions_presentees", [s.id for s in solutions]) in events
    dossier = stored(store_url)
    assert dossier["solutions"] == [s.id for s in solutions]
    assert dossier["redirect"] == [s.id for s in structures]
    assert dossier["nature"] == knowledge.entry("presence_en_ligne").nature


def test_a_strategic_need_gets_a_human_offered_with_the_answer():
    messages, _ = run(ActionPresentSolutions(), make_tracker(slots={"besoin": "strategie_numerique"}))
    assert responses(messages)[-2:] == ["utter_strategic_offer", "utter_ask_answered"]
    tracker = make_tracker(slots={"besoin": "strategie_numerique", "nature_besoin": "technique"})
    assert "utter_strategic_offer" not in responses(run(ActionPresentSolutions(), tracker)[0])


def test_solutions_follow_the_maturity_level():
    tracker = make_tracker("oui", "affirm", slots={"besoin": "presence_en_ligne", "niveau_maturite": "4"})
    messages, _ = run(ActionPresentSolutions(), tracker)
    titles = [m["titre"] for m in messages if m["response"] == "utter_solution"]
    assert titles == [s.title for s in knowledge.solutions_for("presence_en_ligne", 4)]


def test_nearest_france_services_for_an_online_procedure():
    tracker = make_tracker("oui", "affirm", slots={"besoin": "demarches_en_ligne", "code_postal": "33000"})
    messages, _ = run(ActionPresentSolutions(), tracker)
    [sites] = [m for m in messages if m["response"] == "utter_france_services"]
    assert france_services.nearest("33000")[0].name in sites["sites"]
    assert sites["credit"] == france_services.CREDIT


def test_no_france_services_without_a_postal_code_or_for_other_needs():
    for slots in ({"besoin": "demarches_en_ligne"}, {"besoin": "presence_en_ligne", "code_postal": "33000"}):
        messages, _ = run(ActionPresentSolutions(), make_tracker("oui", "affirm", slots=slots))
        assert "utter_france_services" not in responses(messages)


def test_answered_gives_a_synthesis_a_tip_and_asks_for_more(store_url):
    presented = [s.id for s in knowledge.solutions_for("outils_internes")]
    tracker = make_tracker("oui", "affirm", slots={"besoin": "outils_internes", "solutions_presentees": presented})
    messages, events = run(ActionAnswered(), tracker)
    assert responses(messages) == ["utter_synthesis", "utter_tip", "utter_anything_else"]
    assert knowledge.solutions_for("outils_internes")[0].title in messages[0]["solutions"]
    assert messages[1]["conseil"] == knowledge.entry("outils_internes").tip
    assert events == [SlotSet("reponse_utile", True)]
    assert stored(store_url)["answered"] is True


def test_not_answered_offers_a_human(store_url):
    messages, events = run(ActionNotAnswered(), make_tracker("non", "deny", slots={"besoin": "outils_internes"}))
    assert responses(messages) == ["utter_sorry_not_answered", "utter_offer_human"]
    assert stored(store_url)["answered"] is False


def test_without_a_need_the_menu_is_offered():
    messages, events = run(ActionPresentSolutions(), make_tracker("oui", "affirm"))
    assert responses(messages) == ["utter_choose_need"] and events == []


def test_out_of_scope_is_redirected_to_the_structures_of_its_topic(store_url):
    from actions.redirecting import ActionRedirectOutOfScope

    messages, _ = run(ActionRedirectOutOfScope(), make_tracker("je dois licencier un salarié", "out_of_scope"))
    assert responses(messages)[0] == "utter_out_of_scope_redirect"
    names = [m["nom"] for m in messages if m["response"] == "utter_structure"]
    assert names == [s.name for s in referrals.for_topic("rh_droit_du_travail")[:3]]
    assert stored(store_url)["redirect"] == [s.id for s in referrals.for_topic("rh_droit_du_travail")[:3]]
    messages, _ = run(ActionRedirectOutOfScope(), make_tracker("tu fais quoi ce soir", "out_of_scope"))
    assert responses(messages) == ["utter_out_of_scope"]
