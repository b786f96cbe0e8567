"""A request for a person typed inside a form (issue 28): read as `ask_human` by the typed-answers
patch, unless it is the question's answer; the handover menu then leaves the form and offers to come
back to it."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.handover_menu import ActionOfferHumanOptions, ActionResumeForm
from bot.rasa_extensions.patches.typed_answers import person_request_anywhere, person_request_in_form
from tests.support.actions import ALWAYS_OPEN, make_tracker, run


def parse(text: str, intent: str, confidence: float = 0.9) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}


@pytest.mark.parametrize(
    ("text", "nlu", "slot"),
    [
        ("finalement j'aimerais mieux parler à quelqu'un", "ask_human", "effectif"),  # « un » is not one person
        ("qu'on me rappelle", "ask_human", "accord_questions"),
        ("non je préfère qu'on me rappelle", "deny", "accord_questions"),  # not the « non » of the question
        ("en fait je voudrais parler a un conseiller", "ask_human", "echeance"),
        ("finalement un rendez-vous avec un conseiller", "presence_en_ligne", "q_visibilite"),
    ],
)
def test_a_request_for_a_person_inside_a_form_is_read_as_one(text, nlu, slot):
    form = "satisfaction_form" if slot == "echeance" else "qualification_form"
    read = person_request_in_form(parse(text, nlu), form, slot)
    assert read["intent"]["name"] == "ask_human"


@pytest.mark.parametrize(
    ("text", "nlu", "slot"),
    [
        ("je demande à quelqu'un", "ask_human", "q_autonomie"),  # an option of « comment faites-vous ? »
        ("Conseil et Patrimoine", "greet", "entreprise"),
        ("je prefere pas", "ask_human", "entreprise"),  # the right not to answer
        ("je prefere pas", "ask_human", "code_postal"),
        ("je prefere pas", "ask_human", "q_visibilite"),
        ("oui", "affirm", "accord_questions"),
    ],
)
def test_an_answer_stays_an_answer(text, nlu, slot):
    read = person_request_in_form(parse(text, nlu), "qualification_form", slot)
    assert read["intent"]["name"] == ("inform" if nlu == "ask_human" else nlu)


def test_the_handover_forms_and_the_rest_of_the_conversation_keep_the_nlu_reading():
    said = parse("rappelez-moi demain matin", "ask_human")
    assert person_request_in_form(said, "rappel_form", "moment_rappel") == said
    assert person_request_in_form(parse("bonjour", "greet"), None, None)["intent"]["name"] == "greet"


def test_the_form_is_left_and_coming_back_is_offered(monkeypatch, store_url):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    tracker = make_tracker("finalement j'aimerais mieux parler à quelqu'un", "ask_human", slots={"besoin": "presence_en_ligne"})
    tracker.active_loop = {"name": "qualification_form"}
    messages, events = run(ActionOfferHumanOptions(), tracker)
    assert events[:3] == [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("formulaire_suspendu", "qualification_form")]
    [options] = [m for m in messages if m["response"] == "utter_human_options"]
    assert options["buttons"] == [{"title": "Reprendre les questions", "payload": "/resume_form"}]

    resumed = make_tracker("/resume_form", "resume_form", slots={"formulaire_suspendu": "qualification_form"})
    _, events = run(ActionResumeForm(), resumed)
    assert FollowupAction("qualification_form") in events and SlotSet("formulaire_suspendu", None) in events


def test_outside_a_form_nothing_is_paused(monkeypatch, store_url):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    messages, events = run(ActionOfferHumanOptions(), make_tracker("je veux parler à quelqu'un", "ask_human"))
    assert events == [SlotSet("mode_contact", None)]
    [options] = [m for m in messages if m["response"] == "utter_human_options"]
    assert not options["buttons"]
    _, events = run(ActionResumeForm(), make_tracker("/resume_form", "resume_form"))
    assert not [e for e in events if e.get("event") == "followup"]


def test_a_request_for_a_person_read_as_a_greeting_or_not_understood_is_not_lost():
    assert person_request_anywhere(parse("Bonjour, merci de me rappeler", "greet"))["intent"]["name"] == "ask_human"
    assert person_request_anywhere(parse("svp qu'une personne me contacte", "nlu_fallback"))["intent"]["name"] == "ask_human"
    # a greeting is a greeting; an out-of-scope request keeps its referral; a button meant is that button
    assert person_request_anywhere(parse("bonjour", "greet"))["intent"]["name"] == "greet"
    legal = parse("un litige avec un client, je voudrais parler à un conseiller juridique", "out_of_scope")
    assert person_request_anywhere(legal) == legal
    meant = {**parse("oui rappelez-moi", "affirm"), "typed_answer": {"option": "Oui"}}
    assert person_request_anywhere(meant) == meant
