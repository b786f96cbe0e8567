"""« Votre demande porte plutôt sur A ou plutôt sur B ? » (issue 28): a first message the NLU is
unsure about, whose two best readings are close needs, gets that question rather than the menu;
the answer (a button, or typed words) is recorded confirmed like a need chosen on the menu."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction

from actions.listening import ActionConfirmNeed, ActionNotUnderstood, ActionReformulateNeed
from bot.domain import review
from bot.rasa_extensions.patches.typed_answers import reinterpret
from bot.store import db
from bot.store.tables import FirstMessage
from tests.support.actions import run, stored

pytestmark = pytest.mark.usefixtures("store_url")

CLOSE = [("nlu_fallback", 0.3), ("outils_internes", 0.37), ("demarches_en_ligne", 0.34), ("out_of_scope", 0.17)]
QUESTION_BUTTONS = [
    {"title": "Améliorer nos outils de travail", "payload": "/outils_internes"},
    {"title": "Faire une démarche en ligne", "payload": "/demarches_en_ligne"},
    {"title": "Autre chose", "payload": "/nlu_fallback"},
]


def tracker_for(text: str, intent: str, confidence=0.3, ranking=(), slots=None, loop=None, events=(), **extra) -> Tracker:
    message = {
        "text": text,
        "entities": [],
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking],
        **extra,
    }
    return Tracker("someone", slots or {}, message, list(events), False, None, {"name": loop} if loop else {}, "action_listen")


def first_messages(url: str) -> list[tuple]:
    with db.session(url) as session:
        return [(r.text, r.reading, r.intent, r.confidence) for r in session.query(FirstMessage).order_by(FirstMessage.id)]


def test_two_close_needs_get_the_question_with_their_buttons_and_the_first_message_is_noted(store_url):
    messages, events = run(ActionNotUnderstood(), tracker_for("facture TVA", "nlu_fallback", ranking=CLOSE))
    assert [m["response"] for m in messages] == ["utter_which_need"]
    assert messages[0]["besoin_a"] == "Améliorer nos outils de travail"
    assert messages[0]["besoin_b"] == "Faire une démarche en ligne"
    assert messages[0]["buttons"] == QUESTION_BUTTONS
    assert events == []
    assert first_messages(store_url) == [("facture TVA", review.MENU, None, 0.37)]


@pytest.mark.parametrize(
    "ranking",
    [
        # the two best readings are needs, but together too unsure
        [("nlu_fallback", 0.3), ("outils_internes", 0.21), ("presence_en_ligne", 0.2)],
        # the second best is not a need
        [("nlu_fallback", 0.3), ("outils_internes", 0.29), ("out_of_scope", 0.28), ("demarches_en_ligne", 0.2)],
        # the first is far ahead of the second
        [("nlu_fallback", 0.3), ("outils_internes", 0.45), ("demarches_en_ligne", 0.2)],
    ],
)
def test_otherwise_the_menu_as_before(ranking):
    messages, _ = run(ActionNotUnderstood(), tracker_for("le bidule clignote", "nlu_fallback", ranking=ranking))
    assert [m["response"] for m in messages] == ["utter_not_sure", "utter_choose_need"]


def test_not_in_a_form_nor_after_a_misunderstanding():
    in_form = tracker_for("facture TVA", "nlu_fallback", ranking=CLOSE, loop="qualification_form")
    assert "utter_which_need" not in [m["response"] for m in run(ActionNotUnderstood(), in_form)[0]]
    missed = [
        {"event": "user", "text": "blorp"},
        {"event": "bot", "text": "?", "metadata": {"utter_action": "utter_not_sure"}},
        {"event": "user", "text": "facture TVA"},
    ]
    again = tracker_for("facture TVA", "nlu_fallback", ranking=CLOSE, events=missed)
    assert [m["response"] for m in run(ActionNotUnderstood(), again)[0]] == ["utter_stuck"]


def test_autre_chose_shows_the_menu_of_needs():
    button = tracker_for("/nlu_fallback", "nlu_fallback", 1.0, ranking=[("nlu_fallback", 1.0)])
    assert [m["response"] for m in run(ActionNotUnderstood(), button)[0]] == ["utter_choose_need"]


def test_a_typed_choice_is_confirmed_like_a_button(store_url):
    typed = tracker_for("le premier", "outils_internes", 1.0, typed_answer={"question": "utter_which_need"})
    _, events = run(ActionReformulateNeed(), typed)
    assert FollowupAction("action_confirm_need") in events
    messages, _ = run(ActionConfirmNeed(), tracker_for("le premier", "outils_internes", 1.0, slots={"besoin": "outils_internes"}))
    assert messages[0]["response"] == "utter_need_noted"
    need = {"intent": "outils_internes", "confidence": 1.0, "confirmed": True, "corrected_to": None}
    assert stored(store_url)["needs"] == [need]
    assert first_messages(store_url) == []  # « le premier » is not a first message


def parsed(text: str, intent: str, ranking=()) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.5},
        "entities": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }


QUESTION = {"question": "utter_which_need", "buttons": QUESTION_BUTTONS}


@pytest.mark.parametrize(
    "text, intent, ranking, expected",
    [
        ("le premier", "nlu_fallback", [("nlu_fallback", 0.3), ("greet", 0.2)], "outils_internes"),
        ("la deuxième", "deny", [("deny", 0.4)], "demarches_en_ligne"),
        ("une démarche en ligne", "demarches_en_ligne", [("demarches_en_ligne", 0.9)], "demarches_en_ligne"),
        ("plutot la facture", "nlu_fallback", [("nlu_fallback", 0.3), ("demarches_en_ligne", 0.29)], "demarches_en_ligne"),
        # the question's own « plutôt » echoed in front of a button's words (read as « greet » by the model)
        ("plutot une demarche", "nlu_fallback", [("nlu_fallback", 0.3), ("greet", 0.2)], "demarches_en_ligne"),
        # a button's words, not all of them (read as « greet » by the model)
        ("plutot les outils de travail", "nlu_fallback", [("nlu_fallback", 0.3), ("greet", 0.2)], "outils_internes"),
        ("autre chose", "nlu_fallback", [("nlu_fallback", 0.3)], "nlu_fallback"),
        ("non aucun des deux", "deny", [("deny", 0.8)], "nlu_fallback"),
    ],
)
def test_typed_answers_to_the_question(text, intent, ranking, expected):
    result = reinterpret(parsed(text, intent, ranking), QUESTION)
    assert result["intent"] == {"name": expected, "confidence": 1.0}
    assert result["typed_answer"]["question"] == "utter_which_need"


@pytest.mark.parametrize(
    "text, intent, ranking",
    [
        ("je veux parler à quelqu'un", "ask_human", [("ask_human", 0.9)]),
        ("je voudrais un site internet pour mon salon", "presence_en_ligne", [("presence_en_ligne", 0.8)]),
    ],
)
def test_a_person_or_another_need_keeps_the_nlu_reading(text, intent, ranking):
    result = reinterpret(parsed(text, intent, ranking), QUESTION)
    assert result["intent"]["name"] == intent
    assert "typed_answer" not in result


def test_a_need_read_below_the_trusted_confidence_next_to_another_gets_the_question(store_url):
    ranking = [("outils_internes", 0.37), ("demarches_en_ligne", 0.3), ("out_of_scope", 0.2)]
    messages, events = run(ActionReformulateNeed(), tracker_for("ma facture avec la TVA", "outils_internes", 0.37, ranking))
    assert [m["response"] for m in messages] == ["utter_which_need"]
    assert events == []
    assert stored(store_url)["needs"] == []  # nothing recorded before the person chooses
    assert first_messages(store_url) == [("ma facture avec la TVA", review.MENU, None, 0.37)]


def test_a_need_read_surely_enough_is_said_back_as_before():
    ranking = [("outils_internes", 0.55), ("demarches_en_ligne", 0.45)]
    messages, _ = run(ActionReformulateNeed(), tracker_for("mes factures", "outils_internes", 0.55, ranking))
    assert "utter_reformulate_need" in [m["response"] for m in messages]
