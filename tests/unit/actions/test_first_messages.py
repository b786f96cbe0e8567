"""The actions note how the assistant read the person's first typed message, for the review inbox
(« Phrases à revoir »): not understood, sent to the menu, a need said back, the person's « non »."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.listening import ActionNeedDenied, ActionNotUnderstood, ActionReformulateNeed
from bot.domain import review
from bot.store import db
from bot.store.tables import FirstMessage
from tests.support.actions import make_tracker, run

pytestmark = pytest.mark.usefixtures("store_url")


def tracker_for(text: str, intent: str, confidence: float, ranking=(), slots=None, loop=None) -> Tracker:
    message = {
        "text": text,
        "entities": [],
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking],
    }
    return Tracker("someone", slots or {}, message, [], False, None, {"name": loop} if loop else {}, "action_listen")


def first_messages(url: str) -> list[tuple]:
    with db.session(url) as session:
        rows = session.query(FirstMessage).order_by(FirstMessage.id).all()
        return [(r.conversation_id, r.text, r.reading, r.intent, r.confidence, r.correction) for r in rows]


def test_a_first_message_sent_to_the_menu_is_noted_once(store_url):
    ranking = [("nlu_fallback", 0.3), ("outils_internes", 0.21), ("presence_en_ligne", 0.2)]
    messages, _ = run(ActionNotUnderstood(), tracker_for("le bidule clignote", "nlu_fallback", 0.3, ranking))
    assert "utter_choose_need" in [m["response"] for m in messages]  # the menu, as before
    # a second misunderstanding, then a need said back: the first message stays the first
    run(ActionNotUnderstood(), tracker_for("toujours pareil", "nlu_fallback", 0.3, ranking))
    run(ActionReformulateNeed(), make_tracker("mon logiciel de caisse", "outils_internes", 0.8))
    assert first_messages(store_url) == [("someone", "le bidule clignote", review.MENU, None, 0.21, None)]


def test_a_first_message_not_understood(store_url):
    run(ActionNotUnderstood(), tracker_for("xqz blorp", "greet", 0.9))
    assert first_messages(store_url) == [("someone", "xqz blorp", review.NOT_UNDERSTOOD, None, None, None)]


def test_a_need_said_back_then_denied(store_url):
    run(ActionReformulateNeed(), make_tracker("je veux vendre mes gateaux", "presence_en_ligne", 0.6123))
    assert first_messages(store_url) == [
        ("someone", "je veux vendre mes gateaux", review.NEED_SAID_BACK, "presence_en_ligne", 0.612, None)
    ]
    run(ActionNeedDenied(), make_tracker("non", "deny", slots={"besoin": "presence_en_ligne"}))
    assert first_messages(store_url)[0][-1] == review.BY_PERSON


def test_buttons_later_messages_and_forms_are_not_first_messages(store_url):
    run(ActionReformulateNeed(), make_tracker("/outils_internes", "outils_internes", 1.0))
    run(ActionReformulateNeed(), make_tracker("et aussi un site", "presence_en_ligne", 0.9, slots={"besoin": "outils_internes"}))
    run(ActionNotUnderstood(), tracker_for("blabla", "greet", 0.9, loop="qualification_form"))
    assert first_messages(store_url) == []


def test_a_first_message_read_as_out_of_scope(store_url):
    from actions.redirecting import ActionRedirectOutOfScope

    run(ActionRedirectOutOfScope(), make_tracker("quel taux de tva pour mes gateaux", "out_of_scope", 0.4567))
    assert first_messages(store_url) == [
        ("someone", "quel taux de tva pour mes gateaux", review.READ_OUT_OF_SCOPE, None, 0.457, None)
    ]
