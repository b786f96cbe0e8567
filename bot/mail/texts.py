"""The e-mails' words, from data/mail.yml (schema-checked at load), filled in with their values."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any, Mapping

from bot import paths
from bot.datafiles import DataFileError, load_yaml
from bot.language.french import typeset

_TEXT = {"type": "string", "minLength": 1}
_LINES = {"type": "array", "items": {"type": "string"}, "minItems": 1}
SCHEMA = {
    "type": "object",
    "required": ["messages", "modes", "mode_labels", "footer", "footer_team"],
    "additionalProperties": False,
    "properties": {
        "messages": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["subject", "paragraphs"],
                "additionalProperties": False,
                "properties": {
                    "subject": _TEXT,
                    "paragraphs": _LINES,
                    "action": {
                        "type": "object",
                        "required": ["label", "url"],
                        "additionalProperties": False,
                        "properties": {"label": _TEXT, "url": _TEXT},
                    },
                },
            },
        },
        "modes": {"type": "object", "required": ["telephone", "visio", "sur_place"], "additionalProperties": _TEXT},
        "mode_labels": {"type": "object", "required": ["telephone", "visio", "sur_place"], "additionalProperties": _TEXT},
        "footer": _LINES,
        "footer_team": _LINES,
    },
}
KINDS = (
    "rdv_confirmation",
    "rdv_rappel",
    "rdv_annulation",
    "rappel_accuse",
    "synthese",
    "alerte_rendez_vous",
    "alerte_rappel",
    "mdp_reinitialisation",
    "alerte_direct",
    "alerte_annulation",
)

_cache: dict[str, Any] = {}


def data() -> dict[str, Any]:
    if "mail" not in _cache:
        content = load_yaml(paths.DATA / "mail.yml", SCHEMA)
        missing = [kind for kind in KINDS if kind not in content["messages"]]
        if missing:
            raise DataFileError(f"data/mail.yml: messages missing: {', '.join(missing)}")
        _cache["mail"] = content
    return _cache["mail"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    paragraphs: tuple[str, ...]
    action: tuple[str, str] | None  # (label, url)
    footer: tuple[str, ...]


def _fill(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(values)


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def render(kind: str, values: Mapping[str, Any], *, footer_values: Mapping[str, Any], team: bool = False) -> Rendered:
    """The message `kind` with its values. A paragraph naming a value that is None (an optional
    detail the person did not give, such as a deadline) is left out."""
    message = data()["messages"][kind]
    action = message.get("action")
    subject = " ".join(_fill(message["subject"], values).split())  # one line, whatever a value holds
    kept = [t for t in message["paragraphs"] if all(values.get(name) is not None for name in _names(t))]
    # French typography (bot/language/french.py) over the filled texts, as the chat's: URLs and addresses kept
    return Rendered(
        subject=typeset(subject),
        paragraphs=tuple(typeset(p) for p in (_fill(t, values).strip() for t in kept) if p),
        action=(typeset(action["label"]), str(values[action["url"]])) if action else None,
        footer=tuple(typeset(_fill(t, footer_values)) for t in data()["footer_team" if team else "footer"]),
    )


def mode_sentence(mode: str, mediator: str, place: str | None) -> str:
    return typeset(_fill(data()["modes"][mode], {"mediateur": mediator, "lieu": place or "à préciser"}))


def mode_label(mode: str) -> str:
    return typeset(data()["mode_labels"][mode])
