"""The answer step: solutions with pros and cons, resources, structures, then the check and synthesis."""

from __future__ import annotations

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.answering import (
    ActionAnswered,
    ActionAskManque,
    ActionNotAnswered,
    ActionPresentSolutions,
    ActionShowDetail,
    ValidateMissingForm,
)
from bot.domain import france_services, knowledge, referrals
from bot.domain.profile import NOT_GIVEN
from tests.support.actions import make_tracker, run, stored

pytestmark = pytest.mark.usefixtures("store_url")


def responses(messages):
    return [m["response"] for m in messages]


def test_a_short_list_then_one_tap_for_details_and_the_answer_is_stored(store_url):
    tracker = make_tracker("oui", "affirm", slots={"besoin": "presence_en_ligne", "secteur": "batiment"})
    messages, events = run(ActionPresentSolutions(), tracker)
    solutions = knowledge.solutions_for("presence_en_ligne")
    assert responses(messages) == ["utter_answer", "utter_answer_next"]  # two bubbles
    for number, s in enumerate(solutions, start=1):
        assert f"{number}. {s.title}" in messages[0]["pistes"]
    payloads = [b["payload"] for b in messages[1]["buttons"]]
    assert payloads == [f'/voir_detail{{"detail": "{s.id}"}}' for s in solutions]
    structures = referrals.for_need("presence_en_ligne", "batiment")[:3]
    assert SlotSet("solutions_presentees", [s.id for s in solutions]) in events
    dossier = stored(store_url)
    assert dossier["solutions"] == [s.id for s in solutions]
    assert dossier["redirect"] == []  # computed, not shown: no structure is counted yet
    assert dossier["nature"] == knowledge.entry("presence_en_ligne").nature
    where = {"entities": [{"entity": "detail", "value": "contacts"}]}
    slots = {"besoin": "presence_en_ligne", "secteur": "batiment"}
    messages, _ = run(ActionShowDetail(), make_tracker("/voir_detail", "voir_detail", slots=slots, **where))
    for structure in structures:
        assert structure.name in messages[0]["structures"]
    assert stored(store_url)["redirect"] == [s.id for s in structures]  # « Où m'adresser ? »: shown, so counted


def test_a_strategic_need_offers_a_person_first():
    messages, _ = run(ActionPresentSolutions(), make_tracker(slots={"besoin": "strategie_numerique"}))
    assert responses(messages) == ["utter_answer_strategique", "utter_answer_next_strategique"]
    tracker = make_tracker(slots={"besoin": "strategie_numerique", "nature_besoin": "technique", "q_nature_besoin": "outil"})
    assert responses(run(ActionPresentSolutions(), tracker)[0])[0] == "utter_answer"


def test_an_obligation_is_said_first_not_offered_as_an_option():
    messages, _ = run(ActionPresentSolutions(), make_tracker(slots={"besoin": "demarches_en_ligne"}))
    obligation = knowledge.entry("demarches_en_ligne").obligation
    assert messages[0]["obligation"].startswith(obligation.summary)
    assert "facture" not in messages[0]["pistes"].lower()


def test_solutions_follow_the_maturity_level():
    tracker = make_tracker("oui", "affirm", slots={"besoin": "presence_en_ligne", "niveau_maturite": "4"})
    messages, _ = run(ActionPresentSolutions(), tracker)
    assert all(s.title in messages[0]["pistes"] for s in knowledge.solutions_for("presence_en_ligne", 4))


ONLINE = {"besoin": "presence_en_ligne"}


def test_details_compare_and_where_to_go(store_url):
    solution = knowledge.solutions_for("presence_en_ligne")[1]
    detail = {"entities": [{"entity": "detail", "value": solution.id}]}
    messages, _ = run(ActionShowDetail(), make_tracker("/voir_detail", "voir_detail", slots=ONLINE, **detail))
    assert responses(messages) == ["utter_solution_detail", "utter_answer_next"]
    assert stored(store_url)["opened"] == [solution.id]  # the synthesis says which pistes the person opened
    assert messages[0]["titre"] == solution.title and messages[0]["avantages"] and messages[0]["inconvenients"]
    assert solution.id not in str(messages[1]["buttons"])  # the other pistes stay one tap away
    compare = {"entities": [{"entity": "detail", "value": "comparer"}]}
    messages, _ = run(ActionShowDetail(), make_tracker("/voir_detail", "voir_detail", slots=ONLINE, **compare))
    assert responses(messages)[0] == "utter_compare"
    where = {"entities": [{"entity": "detail", "value": "contacts"}]}
    slots = {"besoin": "demarches_en_ligne", "code_postal": "33000"}
    messages, _ = run(ActionShowDetail(), make_tracker("/voir_detail", "voir_detail", slots=slots, **where))
    assert responses(messages) == ["utter_where_to_go", "utter_france_services_near", "utter_answer_next"]
    assert france_services.nearest("33000")[0].name in messages[1]["sites"]
    assert messages[1]["credit"] == france_services.CREDIT
    messages, _ = run(
        ActionShowDetail(), make_tracker("/voir_detail", "voir_detail", slots={**ONLINE, "code_postal": "33000"}, **where)
    )
    assert "utter_france_services_near" not in responses(messages)


def test_answered_gives_a_synthesis_a_tip_and_asks_for_more(store_url):
    presented = [s.id for s in knowledge.solutions_for("outils_internes")]
    tracker = make_tracker("oui", "affirm", slots={"besoin": "outils_internes", "solutions_presentees": presented})
    messages, events = run(ActionAnswered(), tracker)
    assert responses(messages) == ["utter_synthesis", "utter_tip", "utter_anything_else"]
    title = knowledge.solutions_for("outils_internes")[0].title
    assert title[0].lower() + title[1:] in messages[0]["solutions"]  # no capital after « : »
    assert messages[1]["conseil"] == knowledge.entry("outils_internes").tip
    assert events == [SlotSet("reponse_utile", True)]
    assert stored(store_url)["answered"] is True


def test_not_helped_asks_what_is_missing_and_stores_the_answer_at_once(store_url):
    messages, _ = run(ActionAskManque(), make_tracker("pas vraiment", "deny", slots={"besoin": "outils_internes"}))
    assert responses(messages) == ["utter_sorry_not_answered", "utter_what_is_missing"]
    assert stored(store_url)["answered"] is False  # kept even if the person leaves at the question


def test_not_answered_keeps_what_is_missing_and_offers_a_human(store_url):
    slots = {"besoin": "outils_internes", "manque": "un exemple pour une boulangerie"}
    messages, events = run(ActionNotAnswered(), make_tracker("un exemple pour une boulangerie", "inform", slots=slots))
    assert responses(messages) == ["utter_offer_human"]
    assert SlotSet("manque", None) in events  # a second « Pas vraiment » asks again
    dossier = stored(store_url)
    assert dossier["answered"] is False and dossier["missing"] == "un exemple pour une boulangerie"


def test_a_skipped_missing_question_stores_nothing(store_url):
    slots = {"besoin": "outils_internes", "manque": NOT_GIVEN}
    messages, _ = run(ActionNotAnswered(), make_tracker("passer", "skip", slots=slots))
    assert responses(messages) == ["utter_offer_human"]
    assert stored(store_url)["missing"] is None


@pytest.mark.parametrize("typed", ["passer", "Passer", "je ne sais pas", "rien", "Non merci", "rien de précis", "?", "/skip"])
def test_the_missing_question_can_be_skipped(typed):
    result = ValidateMissingForm().validate_manque(typed, None, make_tracker(typed, "skip"), {})
    assert result == {"manque": NOT_GIVEN}


def test_the_missing_answer_is_kept_in_the_persons_words():
    typed = "  je ne comprends pas quel logiciel   choisir pour ma caisse "
    result = ValidateMissingForm().validate_manque(typed, None, make_tracker(typed, "outils_internes"), {})
    assert result == {"manque": "je ne comprends pas quel logiciel choisir pour ma caisse"}


def test_a_request_for_a_person_at_the_missing_question_is_honoured(store_url):
    typed = "je voudrais parler à quelqu'un"
    tracker = make_tracker(typed, "ask_human", confidence=0.95)
    assert ValidateMissingForm().validate_manque(typed, None, tracker, {}) == {"manque": NOT_GIVEN}
    slots = {"besoin": "outils_internes", "manque": NOT_GIVEN}
    messages, events = run(ActionNotAnswered(), make_tracker(typed, "ask_human", confidence=0.95, slots=slots))
    assert messages == []  # the handover choice comes next, not « Souhaitez-vous être mis en relation ? »
    assert FollowupAction("action_offer_human_options") in events
    assert stored(store_url)["missing"] is None


def test_without_a_need_the_menu_is_offered():
    messages, events = run(ActionPresentSolutions(), make_tracker("oui", "affirm"))
    assert responses(messages) == ["utter_choose_need"] and events == []


def test_out_of_scope_is_redirected_to_the_structures_of_its_topic(store_url):
    from actions.redirecting import ActionRedirectOutOfScope

    messages, _ = run(ActionRedirectOutOfScope(), make_tracker("je dois licencier un salarié", "out_of_scope"))
    assert responses(messages) == ["utter_out_of_scope_redirect", "utter_digital_question_welcome"]
    lines = messages[0]["structures"].split("\n")
    assert [line.split(" : ")[0] for line in lines] == [f"• {s.name}" for s in referrals.for_topic("rh_droit_du_travail")[:3]]
    assert stored(store_url)["redirect"] == [s.id for s in referrals.for_topic("rh_droit_du_travail")[:3]]
    messages, _ = run(ActionRedirectOutOfScope(), make_tracker("tu fais quoi ce soir", "out_of_scope"))
    assert responses(messages) == ["utter_out_of_scope"]
