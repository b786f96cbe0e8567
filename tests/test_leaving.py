"""Taking leave: follow-up wish and satisfaction after a need, a tip, goodbye (unit and end to end)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import FollowupAction

from actions.leaving import ActionGoodbye, ActionTakeLeave, ValidateSatisfactionForm
from bot import knowledge
from bot.store import db, queries
from tests.test_actions import make_tracker, run, stored


def responses(messages):
    return [m["response"] for m in messages]


@pytest.mark.usefixtures("store_url")
def test_take_leave_asks_only_after_a_need():
    messages, events = run(ActionTakeLeave(), make_tracker("au revoir", "goodbye"))
    assert responses(messages) == ["utter_goodbye"] and events == []
    _, events = run(ActionTakeLeave(), make_tracker("au revoir", "goodbye", slots={"besoin_confirme": True}))
    assert events == [FollowupAction("satisfaction_form")]


def test_satisfaction_validation_never_insists():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateSatisfactionForm(), CollectingDispatcher()
    assert asyncio.run(form.validate_satisfaction("4", dispatcher, make_tracker(), {})) == {"satisfaction": "4"}
    assert asyncio.run(form.validate_satisfaction("je dirais 5 !", dispatcher, make_tracker(), {})) == {"satisfaction": "5"}
    # words count too
    assert asyncio.run(form.validate_satisfaction("bof", dispatcher, make_tracker(), {})) == {"satisfaction": "2"}
    assert asyncio.run(form.validate_satisfaction("4/5", dispatcher, make_tracker(), {})) == {"satisfaction": "4"}
    assert asyncio.run(form.validate_satisfaction("zkqj", dispatcher, make_tracker(), {})) == {"satisfaction": "non_renseigne"}
    assert asyncio.run(form.validate_satisfaction("9", dispatcher, make_tracker(), {})) == {"satisfaction": "non_renseigne"}


def test_comment_is_optional_and_kept_as_typed():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateSatisfactionForm(), CollectingDispatcher()
    declined = make_tracker("Non, c'est tout", "deny")
    assert asyncio.run(form.validate_commentaire("Non, c'est tout", dispatcher, declined, {})) == {"commentaire": "non_renseigne"}
    typed = make_tracker("x", "inform")
    assert asyncio.run(form.validate_commentaire("  très   clair, merci <3 ", dispatcher, typed, {})) == {
        "commentaire": "très clair, merci <3"
    }
    assert len(asyncio.run(form.validate_commentaire("a" * 5000, dispatcher, typed, {}))["commentaire"]) == 1000


def test_goodbye_stores_answers_and_gives_a_tip(store_url):
    slots = {"besoin": "naviguer_internet", "suivi": True, "satisfaction": "4", "commentaire": "Rapide"}
    messages, _ = run(ActionGoodbye(), make_tracker("4", slots=slots))
    assert responses(messages) == ["utter_tip", "utter_follow_up_noted", "utter_goodbye"]
    assert messages[0]["conseil"] == knowledge.entry("naviguer_internet").tip
    dossier = stored(store_url)
    assert dossier["satisfaction"] == 4 and dossier["follow_up"] is True
    assert dossier["satisfaction_comment"] == "Rapide"


def test_satisfaction_out_of_range_is_refused_by_the_store(store_url):
    with db.session(store_url) as session, pytest.raises(ValueError, match="1 to 5"):
        queries.record_leave(session, "x", None, 7)


def test_leave_taking_end_to_end(chat, servers):
    chat.from_menu("/presence_en_ligne")
    chat.say("non")  # no questions
    chat.say("oui")  # the answer helped
    text = chat.texts(chat.say("au revoir, bonne journée"))
    assert "reprenne contact" in text
    assert "de 1 à 5" in chat.texts(chat.say("oui"))
    assert "ajouter un mot" in chat.texts(chat.say("4"))
    text = chat.texts(chat.say("Très clair, merci"))
    assert "Merci de votre visite" in text
    with db.session(servers.database_url) as session:
        dossier = queries.dossier_as_dict(queries.get_or_create_dossier(session, chat.sender))
    assert dossier["satisfaction"] == 4 and dossier["follow_up"] is True and dossier["answered"] is True
    assert dossier["satisfaction_comment"] == "Très clair, merci"
