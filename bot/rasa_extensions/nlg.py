"""Rasa's response rendering with French typography (endpoints.yml, `nlg: type: bot.rasa_extensions.nlg.FrenchResponses`).

Every response of domain.yml, whether a rule utters it or an action names it with values to
fill, is rendered here: the filled text and the button titles go through bot.language.french.typeset,
so that « de {métier} » becomes « d'électricien » and every « ? » gets its no-break space.

Button payloads are left as written: Rasa interpolates them too, and a payload that carries
entities (`/ask_human{"mode_contact": "rappel"}`) reads to its interpolator as a placeholder
named `"mode_contact": "rappel"`. Each such button made Rasa format a traceback into an ERROR
line of the log, every time the response was rendered (440 of 477 lines of a test run's
rasa.log). No payload of domain.yml names a slot (tests/unit/language/test_french.py).
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import interpolator
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

    def _fill_response(
        self, response: dict[str, Any], filled_slots: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        buttons = response.pop("buttons", None)  # `response` is Rasa's copy of the domain's
        response = super()._fill_response(response, filled_slots, **kwargs)
        if buttons is not None:
            values = self._response_variables(filled_slots, kwargs)
            response["buttons"] = [
                {**b, "title": interpolator.interpolate_text(b["title"], values)}
                if values and isinstance(b.get("title"), str)
                else b
                for b in buttons
            ]
        return response
