"""The business's situation (data/situation.yml): legal form, accountant, VAT, equipment, access to
the online professional spaces. Each question is asked only for the needs that call for it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from bot import paths
from bot.datafiles import load_cached
from bot.language.answers import expand
from bot.language.textnorm import normalize


def questionnaire() -> dict[str, Any]:
    return load_cached(paths.DATA / "situation.yml", "SITUATION")


def questions() -> list[dict[str, Any]]:
    return list(questionnaire()["questions"])


def question(question_id: str) -> dict[str, Any] | None:
    return next((q for q in questions() if q["id"] == question_id), None)


def for_need(need: str | None) -> list[dict[str, Any]]:
    """The questions this need calls for, in the file's order; none without a need."""
    return [q for q in questions() if need in q["needs"]] if need else []


def said(question_id: str, answer_id: str | None) -> str | None:
    """How the synthesis says an answer to a mediator; None for no answer or an unknown one."""
    asked = question(question_id)
    chosen = next((a for a in asked["answers"] if a["id"] == answer_id), None) if asked else None
    return chosen["said"] if chosen else None


def asked_by(payloads: Sequence[str]) -> str | None:
    """The question whose buttons the assistant had just shown (their payloads), or None when
    they are no situation question's, or could be several's (« Je ne sais pas » alone). The
    question's asker (actions/qualification.py) and its « which one? » re-ask send each answer's
    title as its payload."""
    return _asked_by(tuple(payloads)) if payloads else None


@lru_cache(maxsize=256)  # the assistant offers the same few sets of buttons in every conversation
def _asked_by(payloads: tuple[str, ...]) -> str | None:
    offered = {normalize(p) for p in payloads if p}
    if not offered:
        return None
    found = [q["id"] for q in questions() if offered <= {normalize(a["title"]) for a in q["answers"]}]
    return found[0] if len(found) == 1 else None


# « un ordi et mon tel », « un pc mais pas de smartphone »: the equipment question is answered by
# naming devices, each said or denied, which a closeness to the buttons' words reads badly
# (« pas de smartphone » is close to « Ni l'un ni l'autre »).
COMPUTER_WORDS = {"ordinateur", "pc", "mac", "macbook", "laptop"}
PHONE_WORDS = {"smartphone", "telephone", "iphone", "android", "portable", "mobile"}
NOT_A_SMARTPHONE = {"clapet", "simple", "basique"}  # « un vieux téléphone à clapet »
DENYING = {"pas", "ni", "sans", "aucun", "aucune", "jamais", "non"}


def equipment_of(text: str) -> str | None:
    """The answer to the equipment question when the text names devices; None when it names none
    or only denies one (« pas d'ordinateur » says nothing of the phone)."""
    words = expand(text).split()
    has: dict[str, bool] = {}  # device -> said (True) or denied (False)
    for i, word in enumerate(words):
        after_computer = i > 0 and words[i - 1] in COMPUTER_WORDS
        device = "computer" if word in COMPUTER_WORDS else "phone" if word in PHONE_WORDS and not after_computer else None
        if device is None:
            continue
        said = DENYING.isdisjoint(words[max(0, i - 3) : i])
        if device == "phone" and not NOT_A_SMARTPHONE.isdisjoint(words):
            said = False
        has[device] = has.get(device, False) or said
    if has.get("computer") and has.get("phone"):
        return "les_deux"
    if has.get("computer"):
        return "ordinateur"
    if has.get("phone"):
        return "smartphone"
    return "aucun" if has == {"computer": False, "phone": False} else None
