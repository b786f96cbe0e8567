"""The slots offered as buttons, and a typed answer matched to one of them (« mercredi matin »,
« jeudi 14h », « avec Claire »); a slot's moment said in French.
"""

from __future__ import annotations

import re
from datetime import datetime

from rasa_sdk import Tracker

from bot.domain.opening_hours import MONTHS, WEEKDAYS
from bot.language import answers
from bot.language.french import time_of_day, typeset
from bot.language.textnorm import normalize
from bot.settings import PARIS


def french_datetime(moment: datetime) -> str:
    """« mercredi 2 décembre à 14 h », « … à 9 h 30 » in Paris time (bot/language/french.py: one time format)."""
    local = moment.astimezone(PARIS)
    return typeset(
        f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} à " f"{time_of_day(local.hour, local.minute)}"
    )


def shown_slots(tracker: Tracker) -> list[answers.Option]:
    """The slots offered as buttons in the assistant's last message that offered slots."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        buttons = (event.get("data") or {}).get("buttons") or []
        slots = [b for b in buttons if payload_slot_id(str(b.get("payload", ""))) is not None]
        if slots:
            return [answers.Option(b["payload"], b["title"]) for b in slots]
    return []


def payload_slot_id(payload: str) -> str | None:
    found = re.fullmatch(r'/inform\{"creneau": "(\d+)"\}', payload)
    return found.group(1) if found else None


def match_slot_moment(shown: list[answers.Option], text: str) -> answers.Result:
    """« mercredi matin », « jeudi 14h », « le 3 à 10h », « avec Claire »: the slots that fit every detail given."""
    typed = normalize(text)
    tests = []
    day_name = next((d for d in WEEKDAYS if re.search(rf"\b{d}\b", typed)), None)
    if day_name:
        tests.append(lambda title: normalize(title).startswith(day_name))
    day_number = re.search(r"\b(?:le )?(\d{1,2})(?:er)?(?: (?:" + "|".join(normalize(m) for m in MONTHS) + r"))\b", typed)
    if day_number:
        tests.append(lambda title: re.search(rf"\b{int(day_number.group(1))}(?:er)? [a-z]", normalize(title)) is not None)
    hour = re.search(r"\b(\d{1,2}) ?h", typed)
    if hour:
        tests.append(lambda title: f" a {int(hour.group(1))} h " in f" {normalize(title)} ")
    if re.search(r"\bmatin", typed):
        tests.append(lambda title: _slot_hour(title) < 12)
    if re.search(r"\b(apres midi|aprem|apres le dejeuner)\b", typed):
        tests.append(lambda title: _slot_hour(title) >= 12)
    names = {normalize(o.title.rsplit(" avec ", 1)[-1]) for o in shown}
    name = next((n for n in names if re.search(rf"\b{n}\b", typed)), None)
    if name:
        tests.append(lambda title: normalize(title).endswith(name))
    if not tests:
        return answers.Result()
    fitting = [o for o in shown if all(test(o.title) for test in tests)]
    if len(fitting) == 1:
        return answers.Result(fitting[0], fitting, 100.0)
    return answers.Result(None, fitting, 90.0)


def _slot_hour(title: str) -> int:
    found = re.search(r"\ba (\d{1,2}) h\b", normalize(title))  # « à 9 h », « à 14 h 30 »
    return int(found.group(1)) if found else -1
