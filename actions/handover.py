"""Reaching a human mediator (the service's contact details come from data/service.yml)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import catalog


class ActionHumanContact(Action):
    def name(self) -> str:
        return "action_human_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        contact = catalog.service_contact()
        dispatcher.utter_message(
            response="utter_human_contact",
            telephone=contact.phone,
            email=contact.email,
            horaires=contact.hours,
        )
        return []
