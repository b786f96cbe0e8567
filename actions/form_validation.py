"""Behaviour shared by every form: re-ask a wrong answer with an example, then move on.

After `max_validation_failures` wrong answers to one question (data/service.yml) the slot is
set to NOT_GIVEN and the form goes on, rather than loop on someone who cannot answer.
"""
from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import catalog
from bot.profile import NOT_GIVEN


class RetryingFormValidation(FormValidationAction):
    @abstractmethod
    def name(self) -> str:
        """Each form has its own validation action (abstract: not registered by rasa_sdk)."""

    def retry_or_move_on(self, tracker: Tracker, dispatcher: CollectingDispatcher, slot: str, response: str) -> dict:
        failures = int(tracker.get_slot("echecs_validation") or 0) + 1
        if failures >= catalog.max_validation_failures():
            dispatcher.utter_message(response="utter_moving_on")
            return {slot: NOT_GIVEN, "echecs_validation": 0}
        dispatcher.utter_message(response=response)
        return {slot: None, "echecs_validation": failures}
