"""« Prendre congé et s'assurer de la satisfaction »: follow-up wish, satisfaction, a tip, goodbye."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from bot import catalog, knowledge
from bot.language import options
from bot.profile import NOT_GIVEN, skipped
from bot.textnorm import normalize

COMMENT_MAX_CHARS = 1000
NO_COMMENT = {"non", "non merci", "non c'est tout", "non c est tout", "rien", "c'est tout", "non rien"}


class ActionTakeLeave(Action):
    """After a need was handled, ask two short questions before saying goodbye; else just goodbye."""

    def name(self) -> str:
        return "action_take_leave"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if tracker.get_slot("besoin_confirme") and tracker.get_slot("satisfaction") is None:
            return [FollowupAction("satisfaction_form")]
        dispatcher.utter_message(response="utter_goodbye")
        return []


class ValidateSatisfactionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_satisfaction_form"

    async def validate_suivi(self, value, dispatcher, tracker, domain) -> dict:
        return {"suivi": value if isinstance(value, bool) else None}

    async def validate_satisfaction(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"satisfaction": None}
        found = options.understand("utter_ask_satisfaction", str(value)).option  # « 4/5 », « très utile »
        if found is not None:
            return {"satisfaction": found.key if found.key.isdigit() else NOT_GIVEN}
        if skipped(str(value)):
            return {"satisfaction": NOT_GIVEN}
        dispatcher.utter_message(response="utter_invalid_satisfaction")
        return {"satisfaction": NOT_GIVEN}  # asked once; never insist

    async def validate_commentaire(self, value, dispatcher, tracker, domain) -> dict:
        if value is None:
            return {"commentaire": None}
        comment = " ".join(str(value).split())[:COMMENT_MAX_CHARS]
        declined = tracker.get_intent_of_latest_message() == "deny" or normalize(comment) in NO_COMMENT
        if declined or skipped(comment) or comment.startswith("/"):
            return {"commentaire": NOT_GIVEN}
        return {"commentaire": comment}


class ActionGoodbye(Action):
    """Store the answers, leave one awareness tip tied to the need, say goodbye."""

    def name(self) -> str:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        score = tracker.get_slot("satisfaction")
        comment = tracker.get_slot("commentaire")
        record(tracker.sender_id, ("record_leave", [
            tracker.get_slot("suivi"),
            int(score) if score and score.isdigit() else None,
            comment if comment and comment != NOT_GIVEN else None,
        ]))
        need = catalog.need(tracker.get_slot("besoin") or "")
        if need is not None and tracker.get_slot("reponse_utile") is not True:
            dispatcher.utter_message(response="utter_tip", conseil=knowledge.entry(need.id).tip)
        if tracker.get_slot("suivi"):
            dispatcher.utter_message(response="utter_follow_up_noted")
        dispatcher.utter_message(response="utter_goodbye")
        return []
