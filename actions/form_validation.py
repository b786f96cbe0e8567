"""Behaviour shared by every form: understand a typed answer, re-ask a wrong one, then move on.

A typed answer is matched to the question's options (bot/language/answers.py); two equally
close options are offered back as buttons, an answer close to none gets one sentence saying what
is expected. After `max_validation_failures` misunderstandings of one question
(data/service.yml) the slot is set to NOT_GIVEN and the form goes on: the same question is never
asked more than twice in a row.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Callable

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.domain import catalog, options
from bot.domain.profile import NOT_GIVEN
from bot.language import answers


class RetryingFormValidation(FormValidationAction):
    @abstractmethod
    def name(self) -> str:
        """Each form has its own validation action (abstract: not registered by rasa_sdk)."""

    def retry_or_move_on(self, tracker: Tracker, dispatcher: CollectingDispatcher, slot: str, response: str, **values) -> dict:
        failures = int(tracker.get_slot("echecs_validation") or 0) + 1
        if failures >= catalog.max_validation_failures():
            dispatcher.utter_message(response="utter_moving_on")
            return {slot: NOT_GIVEN, "echecs_validation": 0}
        dispatcher.utter_message(response=response, **values)
        return {slot: None, "echecs_validation": failures}

    def choose(
        self,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        slot: str,
        question: str,
        text: str,
        value: Callable[[answers.Option], str] = lambda option: option.key,
    ) -> dict:
        """The slot set to the option the typed text means; else ask which one, or say what is expected."""
        choices = options.for_question(question)
        result = options.understand(question, text)
        if result.option is not None:
            return {slot: value(result.option), "echecs_validation": 0}
        if result.ambiguous:
            failures = int(tracker.get_slot("echecs_validation") or 0) + 1
            if failures < catalog.max_validation_failures():
                dispatcher.utter_message(
                    response="utter_which_one", buttons=[{"title": o.title, "payload": o.title} for o in result.candidates]
                )
                return {slot: None, "echecs_validation": failures}
        return self.retry_or_move_on(tracker, dispatcher, slot, "utter_expected_choice", choix=answers.said_as_list(choices))
