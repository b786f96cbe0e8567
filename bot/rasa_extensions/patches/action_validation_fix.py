"""Make Rasa validate the action server's answers at a fraction of the cost, with the same verdict.

Rasa 3.6 checks every custom action's response with `jsonschema.validate(result, schema)`, which
first checks the (large) events schema itself against its meta-schema and builds a new validator,
on every action call: a third of the Rasa server's CPU under `make bench` once. A validator built
once removed that. What was left (8 % of the Rasa server's CPU in `make profile` on 2026-12-08)
is the schema's `oneOf` over the 23 kinds of event: every event was tried against every kind.
Each kind's branch names its event with a `const`, and the names are distinct, so an event passes
the `oneOf` exactly when it passes its own kind's branch: each event is checked against that
branch only. Anything that does not pass (an unknown kind, a wrong field) goes through the whole
schema, so a rejected response gets Rasa's own error. Installed by our channels, which Rasa loads
before it handles any message.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_original = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would each time
    return cls(schema)


@lru_cache(maxsize=1)
def _by_kind() -> tuple[Any, dict[str, Any]]:
    """(the response schema with any object as an event, {event name: validator of its kind})."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    events = schema["properties"]["events"]
    common = {key: value for key, value in events["items"].items() if key != "oneOf"}
    kinds = {}
    for branch in events["items"]["oneOf"]:
        name = branch["properties"]["event"]["const"]
        if name in kinds:  # the shortcut's premise: one branch per name
            raise ValueError(f"two kinds of event named {name} in Rasa's response schema")
        kinds[name] = cls({"allOf": [common, branch]})
    envelope = {**schema, "properties": {**schema["properties"], "events": {**events, "items": {"type": "object"}}}}
    return cls(envelope), kinds


def _passes_its_kind(result: Any) -> bool:
    envelope, kinds = _by_kind()
    if not envelope.is_valid(result):
        return False
    for event in result.get("events") or ():
        kind = kinds.get(event.get("event")) if isinstance(event.get("event"), str) else None
        if kind is None or not kind.is_valid(event):
            return False
    return True


def _validate_action_result(self, result) -> bool:
    if _passes_its_kind(result):
        return True
    try:
        _validator().validate(result)  # the whole schema: its verdict, and Rasa's error if it fails
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def install() -> None:
    """Idempotent."""
    if RemoteAction._validate_action_result is not _validate_action_result:
        RemoteAction._validate_action_result = _validate_action_result
