"""« Écoute et reformulation de la demande »: say the need back in plain words and confirm it."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.tracker_utils import assistant_has_spoken, came_from_button, entity_surface, latest_intent
from bot import catalog, french
from bot.profile import profile_values, trade_spelling


def sector_context(tracker: Tracker) -> str:
    """« pour votre activité de boulangerie, » / « d'électricien, » when the person named a known
    trade (spelled right, whatever they typed), else ""."""
    surface = entity_surface(tracker, "secteur")
    trade = trade_spelling(surface) if surface else None
    return f"pour votre activité {french.de(trade)}, " if trade else ""


class ActionReformulateNeed(Action):
    """Reformulate the recognised need and ask for confirmation (active listening)."""

    def name(self) -> str:
        return "action_reformulate_need"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        intent, confidence = latest_intent(tracker)
        need = catalog.need(intent or "")
        if need is None:
            dispatcher.utter_message(response="utter_choose_need")
            return []
        events = [SlotSet("besoin", need.id), SlotSet("besoin_confiance", round(confidence, 3))]
        record(
            tracker.sender_id,
            ("record_need", [need.id, round(confidence, 3)]),
            ("update_profile", [profile_values(tracker.current_slot_values())]),
        )
        if came_from_button(tracker):
            # The person picked the need on the menu: it is confirmed already.
            return events + [FollowupAction("action_confirm_need")]
        if not assistant_has_spoken(tracker):
            dispatcher.utter_message(response="utter_intro_short")
        dispatcher.utter_message(
            response="utter_reformulate_need",
            contexte=sector_context(tracker),
            besoin_phrase=need.phrase,
        )
        return events + [SlotSet("besoin_confirme", False)]


class ActionConfirmNeed(Action):
    """The person confirmed the need: note it (the answer follows, see data/rules.yml)."""

    def name(self) -> str:
        return "action_confirm_need"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        need = catalog.need(tracker.get_slot("besoin") or "")
        if need is None:
            dispatcher.utter_message(response="utter_choose_need")
            return []
        record(tracker.sender_id, ("confirm_latest_need", [True]))
        dispatcher.utter_message(response="utter_need_noted", besoin_phrase=need.phrase)
        return [SlotSet("besoin_confirme", True)]


class ActionNeedDenied(Action):
    """The reformulation was wrong: note it, then offer the needs in plain words."""

    def name(self) -> str:
        return "action_need_denied"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        record(tracker.sender_id, ("confirm_latest_need", [False]))
        dispatcher.utter_message(response="utter_choose_need")
        return [SlotSet("besoin_confirme", False)]
