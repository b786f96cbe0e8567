"""Only the payloads the assistant offered as buttons are read as intents.

Rasa 3.6 reads any message that starts with `/` as an intent with entities (its
`RegexMessageHandler`: `/intent{"entity": "value"}` skips the NLU). On a public chat that lets
anyone type `/EXTERNAL_live_ended` or `/inform{"creneau": "1"}` and steer the conversation.
Here a message starting with `/` keeps that meaning only when it is exactly one of the payloads
of the buttons the assistant showed since the person's last message; any other is read as plain
text (its leading slashes removed, so Rasa's NLU reads it like anything else typed).

The check runs inside Rasa's message processing, where the conversation is loaded and locked,
so it applies to every channel (website, REST) and cannot race with another message of the same
conversation. `EXTERNAL_…` intents still come through Rasa's authenticated HTTP API
(`trigger_intent`, used by the live handover), which does not parse a message.

Installed by our channels, which Rasa loads before it handles any message.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered

LEADING_SLASHES = re.compile(r"^[\s/]+")

_original = MessageProcessor._handle_message_with_tracker


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """The button payloads of the assistant's messages since the person's last message."""
    offered: set[str] = set()
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                payload = button.get("payload") if isinstance(button, dict) else None
                if isinstance(payload, str):
                    offered.add(payload.strip())
    return offered


def as_plain_text(text: str) -> str:
    """The text without the leading slashes that would make Rasa read it as an intent
    (nothing but slashes: a question mark, which the NLU reads as not understood)."""
    return LEADING_SLASHES.sub("", text) or "?"


def checked_text(text: str | None, events: Iterable[Any]) -> str | None:
    """The text Rasa should parse: unchanged unless it is a payload no button offered."""
    if not isinstance(text, str) or not text.strip().startswith(INTENT_MESSAGE_PREFIX):
        return text
    if text.strip() in offered_payloads(events):
        return text
    return as_plain_text(text)


async def _handle_message_with_tracker(self: MessageProcessor, message: UserMessage, tracker) -> None:
    text = checked_text(message.text, tracker.events)
    if text != message.text:
        message.text = text
        message.parse_data = None  # a channel's pre-parsed intent is not trusted either
        if isinstance(message.metadata, dict):
            # the title of a button (shown to the mediator instead of the payload): there was none
            message.metadata = {k: v for k, v in message.metadata.items() if k != "display"} or None
    await _original(self, message, tracker)


def install() -> None:
    """Idempotent: our channels call it when Rasa loads them."""
    if MessageProcessor._handle_message_with_tracker is not _handle_message_with_tracker:
        MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker
