"""Load the project's YAML data files and check them against a JSON schema.

A malformed data file must fail loudly at load time (and in the tests), not halfway
through a conversation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class DataFileError(ValueError):
    """A data file is missing or does not match its schema."""


def load_yaml(path: Path, schema: dict[str, Any]) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{path}: cannot read ({exc})") from exc
    try:
        jsonschema.validate(content, schema)
    except jsonschema.ValidationError as exc:
        location = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise DataFileError(f"{path}: {location}: {exc.message}") from exc
    return content


def typeset_texts(value: Any) -> Any:
    """Every string of a data file with French typography (bot/language/french.py); keys stay as they are."""
    from bot.language.french import typeset

    if isinstance(value, str):
        return typeset(value)
    if isinstance(value, list):
        return [typeset_texts(v) for v in value]
    if isinstance(value, dict):
        return {k: typeset_texts(v) for k, v in value.items()}
    return value


@lru_cache(maxsize=None)
def load_cached(path: Path, schema_key: str) -> dict[str, Any]:
    """Data files do not change while a server runs: read each once, typeset for reading."""
    from bot import schemas

    return typeset_texts(load_yaml(path, getattr(schemas, schema_key)))
