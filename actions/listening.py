"""« Écoute et reformulation de la demande »: say the need back in plain words and confirm it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import record
from actions.handover_menu import offer_human
from actions.tracker_utils import assistant_has_spoken, came_from_button, entity_surface, latest_intent
from bot.domain import catalog, review
from bot.domain.human_request import asks_for_a_person_in
from bot.domain.profile import profile_values, trade_spelling
from bot.language import french
from bot.store.dossier_writes import ConfirmLatestNeed, FirstMessageDenied, RecordFirstMessage, RecordNeed, UpdateProfile

MISUNDERSTOOD = {
    "utter_default",
    "utter_not_sure",
    "utter_stuck",
    "utter_expected_choice",
    "utter_which_one",
    "utter_invalid_choice",
    "utter_invalid_creneau",
    "utter_invalid_echeance",
    "utter_invalid_secteur",
    "utter_invalid_entreprise",
    "utter_invalid_code_postal",
    "utter_invalid_contact",
    "utter_invalid_name",
}


def asks_for_a_person(tracker: Tracker) -> bool:
    return asks_for_a_person_in(tracker.latest_message.get("text") or "", tracker.latest_message.get("intent_ranking") or [])


def misunderstood_in_a_row(tracker: Tracker) -> int:
    """How many of the assistant's last turns (before this message) said it did not understand."""
    count, turn_missed, seen_current = 0, None, False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "bot":
            said = (event.get("metadata") or {}).get("utter_action")
            turn_missed = bool(turn_missed) or said in MISUNDERSTOOD
        elif kind == "user":
            if not seen_current:
                seen_current, turn_missed = True, None
                continue
            if turn_missed is None:
                continue
            if not turn_missed:
                return count
            count, turn_missed = count + 1, None
    return count + (1 if turn_missed else 0)


def first_message_write(tracker: Tracker, reading: str, intent: str | None, confidence: float | None) -> list[RecordFirstMessage]:
    """How the assistant read the person's first typed message, for the review inbox (« Phrases à
    revoir »): only while no need is known yet and no form is asked (the store keeps the first)."""
    text = (tracker.latest_message.get("text") or "").strip()
    if not text or text.startswith("/") or tracker.get_slot("besoin") or tracker.active_loop_name:
        return []
    rounded = None if confidence is None else round(confidence, 3)
    return [RecordFirstMessage(text, reading, intent, rounded)]


def note_first_message(tracker: Tracker, reading: str) -> None:
    """A first message the assistant did not understand (sent to the menu, or asked to rephrase)."""
    ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    confidence = float(ranking[0].get("confidence") or 0.0) if ranking else None
    writes = first_message_write(tracker, reading, None, confidence)
    if writes:
        record(tracker.sender_id, *writes)


# « Plutôt A ou plutôt B ? » (issue 28): when the NLU falls back and its two best readings are needs
# that together take at least this much of the confidence, with the first at most MAX_GAP ahead.
# Measured on both held-out sets: 1-2 % of messages, the right need one of the two in 4 cases of 4.
CLOSE_NEEDS_SUM = 0.5
CLOSE_NEEDS_MAX_GAP = 0.1
OTHER_THING = "/nlu_fallback"  # « Autre chose »: the menu of needs, as for a message not understood


def close_needs(ranking: list[dict]) -> tuple[catalog.Need, catalog.Need] | None:
    """The two needs a message hesitates between, best first, or None."""
    readings = [r for r in ranking if r.get("name") != "nlu_fallback"][:2]
    if len(readings) < 2:
        return None
    needs = [catalog.need(r.get("name") or "") for r in readings]
    first, second = (float(r.get("confidence") or 0.0) for r in readings)
    if needs[0] is None or needs[1] is None or first + second < CLOSE_NEEDS_SUM or first - second > CLOSE_NEEDS_MAX_GAP:
        return None
    return needs[0], needs[1]


def answers_which_need(tracker: Tracker) -> bool:
    """The message answers « plutôt A ou plutôt B ? » (a button, or typed words read as one)."""
    return came_from_button(tracker) or bool(tracker.latest_message.get("typed_answer"))


def ask_which_need(dispatcher: CollectingDispatcher, tracker: Tracker, pair: tuple[catalog.Need, catalog.Need]) -> None:
    """« Votre demande porte plutôt sur A ou plutôt sur B ? », the first message noted for the review inbox."""
    note_first_message(tracker, review.MENU)
    buttons = [{"title": need.label, "payload": f"/{need.id}"} for need in pair]
    buttons.append({"title": "Autre chose", "payload": OTHER_THING})
    dispatcher.utter_message(response="utter_which_need", besoin_a=pair[0].label, besoin_b=pair[1].label, buttons=buttons)


class ActionNotUnderstood(Action):
    """« Je n'ai pas compris », at most once in a row: the second time, the needs, a person, or « passer »."""

    def name(self) -> str:
        return "action_not_understood"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        low_confidence = (tracker.latest_message.get("intent") or {}).get("name") == "nlu_fallback"
        # two buttons equally close (bot/rasa_extensions/patches/typed_answers.py)
        which_one = tracker.latest_message.get("which_one")
        if which_one and misunderstood_in_a_row(tracker) == 0:
            dispatcher.utter_message(response="utter_which_one", buttons=which_one)
            return [UserUtteranceReverted()]  # the choice, when made, answers the question asked before
        if low_confidence and answers_which_need(tracker):
            # « Autre chose » to « plutôt A ou plutôt B ? »: the needs, as for a message not understood
            dispatcher.utter_message(response="utter_choose_need")
            return []
        pair = close_needs(tracker.latest_message.get("intent_ranking") or [])
        if low_confidence and pair and not tracker.active_loop_name and misunderstood_in_a_row(tracker) == 0:
            ask_which_need(dispatcher, tracker, pair)
            return []
        note_first_message(tracker, review.MENU if low_confidence else review.NOT_UNDERSTOOD)
        if misunderstood_in_a_row(tracker) >= 1:
            dispatcher.utter_message(response="utter_stuck")
        elif low_confidence:
            dispatcher.utter_message(response="utter_not_sure")
            dispatcher.utter_message(response="utter_choose_need")
        else:
            dispatcher.utter_message(response="utter_default")
        # Rasa's core fallback forgets the message it could not place (as action_default_fallback does)
        return [] if low_confidence else [UserUtteranceReverted()]


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
        chosen = answers_which_need(tracker)
        pair = None if chosen else close_needs(tracker.latest_message.get("intent_ranking") or [])
        if pair and confidence < review.LOW_CONFIDENCE and not asks_for_a_person(tracker) and not tracker.get_slot("besoin"):
            # below the confidence a need said back is trusted, between two close needs: which one?
            ask_which_need(dispatcher, tracker, pair)
            return []
        events = [SlotSet("besoin", need.id), SlotSet("besoin_confiance", round(confidence, 3))]
        first = [] if chosen else first_message_write(tracker, review.NEED_SAID_BACK, need.id, confidence)
        record(
            tracker.sender_id,
            RecordNeed(need.id, round(confidence, 3)),
            UpdateProfile(profile_values(tracker.current_slot_values())),
            *first,
        )
        if chosen:
            # The person picked the need on the menu (or typed which of two): it is confirmed already.
            return events + [FollowupAction("action_confirm_need")]
        if asks_for_a_person(tracker):
            # « … la facture électronique, il faut que quelqu'un me rappelle »: the need is noted
            # (unconfirmed, with its confidence) and the person goes straight to a mediator.
            dispatcher.utter_message(response="utter_need_noted", besoin_phrase=need.phrase)
            return events + offer_human(dispatcher, tracker)
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
        record(tracker.sender_id, ConfirmLatestNeed(True))
        dispatcher.utter_message(response="utter_need_noted", besoin_phrase=need.phrase)
        return [SlotSet("besoin_confirme", True)]


class ActionNeedDenied(Action):
    """The reformulation was wrong: note it, then offer the needs in plain words."""

    def name(self) -> str:
        return "action_need_denied"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        record(tracker.sender_id, ConfirmLatestNeed(False), FirstMessageDenied(tracker.get_slot("besoin")))
        dispatcher.utter_message(response="utter_choose_need")
        return [SlotSet("besoin_confirme", False)]
