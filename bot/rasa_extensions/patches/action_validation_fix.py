"""Make Rasa validate the action server's answers without rebuilding a validator each time.

Rasa 3.6 checks every custom action's response with `jsonschema.validate(result, schema)`, which
first checks the (large) events schema itself against its meta-schema and builds a new validator,
on every action call. Profiling `make bench` showed a third of the Rasa server's CPU there. The
same check with a validator built once gives the same result and errors. Installed by our
channels, which Rasa loads before it handles any message.
"""

from __future__ import annotations

from functools import lru_cache

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


def _validate_action_result(self, result) -> bool:
    try:
        _validator().validate(result)
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
