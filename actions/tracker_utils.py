"""Small readers of the Rasa tracker shared by the actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def came_from_button(tracker: Tracker) -> bool:
    """A button payload ("/intent") means the person chose explicitly: no need to reformulate."""
    return (tracker.latest_message.get("text") or "").lstrip().startswith("/")


def assistant_has_spoken(tracker: Tracker) -> bool:
    return any(event.get("event") == "bot" for event in tracker.events)


def entity_surface(tracker: Tracker, entity: str) -> str | None:
    """The words the person used for an entity in their latest message (before synonym mapping)."""
    message: dict[str, Any] = tracker.latest_message
    text = message.get("text") or ""
    for found in message.get("entities") or []:
        if found.get("entity") != entity:
            continue
        start, end = found.get("start"), found.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            return text[start:end].strip().lower()
    return None
