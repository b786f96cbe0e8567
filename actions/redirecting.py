"""« S'assurer qu'il est au bon endroit. Si ce n'est pas le cas, rediriger vers la structure adaptée »."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.listening import first_message_write
from bot.domain import referrals, review, topics
from bot.domain.profile import NOT_GIVEN, size_bucket
from bot.store.dossier_writes import RecordRedirect


class ActionRedirectOutOfScope(Action):
    """Explain that this service is about digital matters, and say where to go instead."""

    def name(self) -> str:
        return "action_redirect_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        topic = topics.detect(tracker.latest_message.get("text") or "")
        effectif = tracker.get_slot("effectif")
        size = size_bucket(effectif) if effectif and effectif != NOT_GIVEN else None
        structures = referrals.for_topic(topic, tracker.get_slot("secteur"), size)[:3] if topic else []
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence")
        first = first_message_write(tracker, review.READ_OUT_OF_SCOPE, None, confidence)  # « Phrases à revoir »
        if not structures:
            dispatcher.utter_message(response="utter_out_of_scope")
            record(tracker.sender_id, RecordRedirect([], topic or "autre"), *first)
            return []
        # one bubble, one line per structure: who, and how to reach them (a chat-sized turn)
        dispatcher.utter_message(
            response="utter_out_of_scope_redirect", structures="\n".join(f"• {s.name} : {s.how}" for s in structures)
        )
        dispatcher.utter_message(response="utter_digital_question_welcome")
        record(tracker.sender_id, RecordRedirect([s.id for s in structures], topic), *first)
        return []
