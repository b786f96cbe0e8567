"""The questionnaire's situation questions (data/situation.yml) in the qualification form: asked
after the maturity questions only when the conversation's need calls for them, never when the
questions were declined, typed answers understood, stored with the assessment."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.qualification import ActionAssessMaturity, ValidateQualificationForm, questionnaire_slots
from bot.domain.profile import NOT_GIVEN
from tests.support.actions import make_tracker, run, stored

pytestmark = pytest.mark.usefixtures("store_url")


def required(slots: dict) -> list[str]:
    return asyncio.run(ValidateQualificationForm().required_slots([], CollectingDispatcher(), make_tracker(slots=slots), {}))


def test_the_situation_questions_come_after_the_maturity_ones_for_the_needs_that_call_for_them():
    tools = required({"accord_questions": True, "besoin": "outils_internes"})
    assert tools[-4:] == [questionnaire_slots()[-1], "q_forme_juridique", "q_expert_comptable", "q_tva"]
    assert required({"accord_questions": True, "besoin": "utiliser_ordinateur"})[-1] == "q_equipement"
    assert required({"accord_questions": True, "besoin": "presence_en_ligne"})[-1] == questionnaire_slots()[-1]
    assert required({"accord_questions": False, "besoin": "outils_internes"}) == []  # declined: nothing asked


@pytest.mark.parametrize(
    "slot, typed, value",
    [
        ("q_forme_juridique", "auto entrepreneur", "micro_entreprise"),
        ("q_forme_juridique", "Société SAS ou SASU", "sas_sasu"),  # the button's title
        ("q_expert_comptable", "j'ai un comptable", "oui"),
        ("q_tva", "pas de tva", "franchise"),
        ("q_equipement", "juste mon tel", "smartphone"),
        ("q_acces_espaces", "jsp", "ne_sait_pas"),
        ("q_tva", "passer", NOT_GIVEN),  # skipped: « non répondu », not « je ne sais pas »
        ("q_equipement", "je préfère ne pas répondre", "ne_repond_pas"),
    ],
)
def test_typed_situation_answers_fill_their_slot(slot, typed, value):
    tracker = make_tracker(typed, slots={"requested_slot": slot, "besoin": "outils_internes"})
    found = getattr(ValidateQualificationForm(), f"validate_{slot}")(typed, CollectingDispatcher(), tracker, {})
    assert found[slot] == value


def test_a_situation_answer_close_to_nothing_is_asked_again():
    tracker = make_tracker("zzz", slots={"requested_slot": "q_tva"})
    dispatcher = CollectingDispatcher()
    assert ValidateQualificationForm().validate_q_tva("zzz", dispatcher, tracker, {})["q_tva"] is None
    assert dispatcher.messages[0]["response"] == "utter_expected_choice"


def test_the_assessment_stores_the_situation_the_need_called_for(store_url):
    slots = {
        "accord_questions": True,
        "besoin": "outils_internes",
        "q_outils_actuels": "gestion",
        "q_forme_juridique": "micro_entreprise",
        "q_expert_comptable": NOT_GIVEN,
        "q_tva": "franchise",
        "q_equipement": "smartphone",  # not asked for this need: left out
    }
    run(ActionAssessMaturity(), make_tracker(slots=slots))
    answers = stored(store_url)["answers"]
    assert {k: answers[k] for k in ("forme_juridique", "expert_comptable", "tva")} == {
        "forme_juridique": "micro_entreprise",
        "expert_comptable": None,
        "tva": "franchise",
    }
    assert "equipement" not in answers and "acces_espaces" not in answers
    summary = stored(store_url)["summary"].replace("\u202f", " ").replace("\u00a0", " ")
    assert "Situation : forme juridique : micro-entreprise (auto-entrepreneur); expert-comptable : non répondu" in summary


def test_no_situation_stored_for_a_need_that_calls_for_none(store_url):
    run(ActionAssessMaturity(), make_tracker(slots={"accord_questions": True, "besoin": "presence_en_ligne"}))
    assert set(stored(store_url)["answers"]) == {s[2:] for s in questionnaire_slots()}
    assert "Situation" not in stored(store_url)["summary"]
