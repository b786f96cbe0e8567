"""Rasa's response rendering with French typography (endpoints.yml, `nlg: type: bot.rasa_extensions.nlg.FrenchResponses`).

Every response of domain.yml, whether a rule utters it or an action names it with values to
fill, is rendered here: the filled text and the button titles go through bot.language.french.typeset,
so that « de {métier} » becomes « d'électricien » and every « ? » gets its no-break space.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from bot.language.french import typeset


def typeset_message(message: dict[str, Any] | None) -> dict[str, Any] | None:
    """A rendered message with its text and button titles typeset (payloads untouched)."""
    if not message:
        return message
    if isinstance(message.get("text"), str):
        message["text"] = typeset(message["text"])
    for button in message.get("buttons") or []:
        if isinstance(button.get("title"), str):
            button["title"] = typeset(button["title"])
    return message


class FrenchResponses(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config=None, domain=None, **_: Any) -> None:
        super().__init__(domain.responses if domain is not None else {})

    def generate_from_slots(
        self, utter_action: str, filled_slots: dict[str, Any], output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        return typeset_message(super().generate_from_slots(utter_action, filled_slots, output_channel, **kwargs))
