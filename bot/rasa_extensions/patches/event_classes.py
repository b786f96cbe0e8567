"""An event's class found by its type name once, not by walking every event class for each event.

Rasa 3.6 turns each stored or received event (`{"event": "slot", …}`) back into an object through
`Event.resolve_by_type`, which lists all the subclasses of `Event` (recursively, about forty) to
find the one with that `type_name`, for every event: for each message, every event of the
conversation read from the tracker store and every event an action returns. Under `make profile`
(one conversation at a time) that walk was 3 % of the Rasa server's work per message, growing with
the length of the conversation. Here the class Rasa's walk finds for a name is remembered; names it
does not know (an unknown event, the old « topic ») still go through Rasa's own code each time.

Re-check on a Rasa upgrade: `Event.resolve_by_type(type_name, default)` is still a pure lookup of
the event classes by `type_name`, and no event class is defined once events are being read.
"""

from __future__ import annotations

from typing import Optional, Type

from rasa.shared.core.events import Event

_original = Event.__dict__["resolve_by_type"].__func__
_found: dict[str, Type[Event]] = {}


class _NotAnEvent:
    """What Rasa's lookup is told to give back for a name no event class has."""


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _found.get(type_name)
    if found is None:
        found = _original(type_name, _NotAnEvent)  # Rasa's walk over the event classes
        if found is None or found is _NotAnEvent:  # « topic », or unknown: Rasa's answer, as before
            return _original(type_name, default)
        _found[type_name] = found
    return found


def install() -> None:
    """Idempotent."""
    if Event.__dict__["resolve_by_type"].__func__ is not _resolve_by_type:
        Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
