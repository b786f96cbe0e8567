"""Deadlines and call-back moments written in French words (« avant le 20 décembre »,
« fin janvier », « dans quinze jours », « demain en fin de matinée »).

`dateparser` reads the dates; this module adds what it does not know (« fin janvier », « fin du mois
de mars », « la semaine prochaine » as a deadline, « le 5 », « avant les fêtes », number words,
« avant le … ») and says the result back in French; an unsure answer (« fin mars ou début avril »,
« je sais pas ») gives None, and the person is asked again. Held-out set: tests/dates_test.yml
(`make eval`). Today always comes from the caller: nothing here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

from bot.language.answers import NUMBER_WORDS
from bot.language.french import time_of_day
from bot.language.textnorm import normalize

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
_MONTHS_PLAIN = [normalize(m) for m in MONTHS]
# Words around a date that do not change it (« avant le », « d'ici », « au plus tard »).
LEAD_WORDS = re.compile(
    r"\b(avant|d ici|d ici le|pour|sous|au plus tard|max|maximum|jusqu au|jusqu a|si possible|idealement|le|la|l|"
    r"c est|ce serait|ca serait|bien|svp|merci|environ|vers)\b"
)
PARTS_OF_DAY = [  # (words, what is said back), most precise first
    (("fin de matinee", "fin matinee", "fin de la matinee"), "en fin de matinée"),
    (("debut d apres midi", "debut apres midi", "debut d aprem"), "en début d'après-midi"),
    (("fin d apres midi", "fin apres midi", "fin d aprem", "fin de journee", "fin journee"), "en fin d'après-midi"),
    (("matin", "matinee", "avant midi"), "le matin"),
    (("apres midi", "aprem", "apres le dejeuner"), "l'après-midi"),
    (("midi", "entre midi", "pause dejeuner"), "vers midi"),
    (("soir", "soiree"), "en fin de journée"),
]


def french_date(day: date, today: date) -> str:
    """« mardi 20 décembre », « vendredi 1er janvier 2027 » (the year when not this year)."""
    year = f" {day.year}" if day.year != today.year else ""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}{year}"


def _numbers_in_words(text: str) -> str:
    return " ".join(str(NUMBER_WORDS[w]) if w in NUMBER_WORDS else w for w in text.split())


def _end_of_month(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _month_phrase(typed: str, today: date) -> date | None:
    """« fin janvier », « fin du mois de mars », « début février », « mi mars », « en janvier »: a day
    in the next such month."""
    months = "|".join(_MONTHS_PLAIN)
    found = re.search(r"\b(fin|debut|mi|courant|en)?\s*(?:de |d |du )?(?:la )?(?:mois de |mois d )?(" + months + r")\b", typed)
    if not found or re.search(r"\b\d{1,2}(er)? (" + "|".join(_MONTHS_PLAIN) + r")\b", typed):
        return None
    month = _MONTHS_PLAIN.index(found.group(2)) + 1
    year = today.year + (month < today.month)
    which = found.group(1)
    if which == "debut":
        return date(year, month, 7)
    if which == "mi":
        return date(year, month, 15)
    return _end_of_month(year, month)


# Said when the person is not sure, or names two dates (« fin mars début avril »): asked again.
UNSURE = re.compile(r"\b(ou|peut etre|sais pas|bientot)\b")
# Holidays people give as a deadline: (words, month, day).
HOLIDAYS = [
    (r"(les )?fetes( de fin d annee)?|noel|reveillon", 12, 24),
    (r"(le )?(jour de l an|nouvel an)|(la )?fin (de l |d )annee|(la )?fin de cette annee", 12, 31),
]
DAY_OF_MONTH = re.compile(r"^(?:le )?(\d{1,2}|premier|1er)(?: du mois)?$")


def _next_day_of_month(day: int, today: date) -> date | None:
    """« le 5 »: the next 5th from today (today included); None for a day no month has."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        if day <= _end_of_month(year, month).day and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = year + (month == 12), month % 12 + 1
    return None


def _next(month: int, day: int, today: date) -> date:
    """This year's `day` of `month`, or next year's when it is past."""
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def parse_deadline(text: str, today: date) -> date | None:
    """The last day that suits, from typed French; None when not understood, unsure, or already past
    (the person is then asked again). `today` comes from the caller."""
    typed = _numbers_in_words(normalize(text))
    if not typed:
        return None
    months_named = re.findall(r"\b(" + "|".join(_MONTHS_PLAIN) + r")\b", typed)
    if UNSURE.search(typed) or len(set(months_named)) > 1:
        return None
    for words, month, day in HOLIDAYS:
        if re.search(rf"\b({words})\b", typed):
            return _next(month, day, today)
    if re.search(r"\bapres demain\b", typed):
        return today + timedelta(days=2)
    if re.search(r"\b(fin de (la )?)?semaine prochaine\b", typed):
        return today + timedelta(days=7 + 6 - today.weekday())
    if re.search(r"\b(cette semaine|fin de (la )?semaine)\b", typed):
        return today + timedelta(days=6 - today.weekday())
    if re.search(r"\bmois prochain\b", typed):
        following = _end_of_month(today.year, today.month) + timedelta(days=1)
        return _end_of_month(following.year, following.month)
    month_day = _month_phrase(typed, today)
    if month_day is not None:
        return month_day if month_day >= today else None
    if re.search(r"\b(ce mois ci|ce mois|fin du mois|fin de mois)\b", typed):
        return _end_of_month(today.year, today.month)
    bare = re.sub(r"\s+", " ", LEAD_WORDS.sub(" ", typed)).strip()
    alone = DAY_OF_MONTH.match(bare)
    if alone is not None:  # « le 5 »: dateparser reads a past 5th as this month's
        said = alone.group(1)
        return _next_day_of_month(1 if said in ("premier", "1er") else int(said), today)
    weekday = re.fullmatch(r"(" + "|".join(WEEKDAYS) + r")(?: prochain)?", bare)
    if weekday is not None:  # « vendredi », « vendredi prochain »: the coming one
        return today + timedelta(days=(WEEKDAYS.index(weekday.group(1)) - today.weekday()) % 7 or 7)
    numeric = re.search(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", text)
    candidate = numeric.group(0) if numeric else LEAD_WORDS.sub(" ", typed)
    candidate = re.sub(r"\s+", " ", candidate).strip()
    if not candidate:
        return None
    base = datetime(today.year, today.month, today.day, 12, 0)
    parsed = dateparser.parse(
        candidate, languages=["fr"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY"}
    )
    if parsed is None:
        return None
    deadline = parsed.date()
    return deadline if deadline >= today else None


@dataclass(frozen=True)
class Moment:
    day: date | None  # None: any day
    part: str | None  # « le matin », « en fin de matinée »…; None: any time

    def said(self, today: date) -> str:
        """« demain mercredi 2 décembre, en fin de matinée »."""
        pieces = []
        if self.day is not None:
            relative = {0: "aujourd'hui ", 1: "demain "}.get((self.day - today).days, "")
            pieces.append(relative + french_date(self.day, today))
        if self.part:
            pieces.append(self.part)
        return ", ".join(pieces)


ANY_TIME = (
    "peu importe",
    "n importe quand",
    "quand vous voulez",
    "comme vous voulez",
    "pas de preference",
    "indifferent",
    "egal",
    "toute la journee",
    "a tout moment",
    "quand vous pouvez",
)


def parse_moment(text: str, today: date) -> Moment | None:
    """A preferred call-back moment: a day (or none) and a part of the day (or none).

    None when nothing is recognised; Moment(None, None) for « peu importe ».
    """
    typed = normalize(text)
    if any(words in typed for words in ANY_TIME):
        return Moment(None, None)
    part = next((said for words, said in PARTS_OF_DAY if any(f" {w} " in f" {typed} " for w in words)), None)
    hour = re.search(r"\b(\d{1,2}) ?h(?: ?(\d{2}))?\b", typed)
    if hour and part is None:
        part = f"vers {time_of_day(int(hour.group(1)), int(hour.group(2) or 0))}"
    day = None
    rest = typed
    for words, _ in PARTS_OF_DAY:
        for w in words:
            rest = re.sub(rf"\b{w}\b", " ", rest)
    rest = re.sub(r"\b\d{1,2} ?h(?: ?\d{2})?\b", " ", rest)
    rest = re.sub(r"\b(en|de|du|dans|la|le|l|plutot|si possible|svp|vers|a partir|partir|a|entre|et|d)\b", " ", rest)
    rest = " ".join(rest.split())
    if rest:
        if rest in WEEKDAYS or re.fullmatch(r"(" + "|".join(WEEKDAYS) + r")( prochain)?", rest):
            ahead = (WEEKDAYS.index(rest.split()[0]) - today.weekday()) % 7 or 7
            day = today + timedelta(days=ahead)
        else:
            day = parse_deadline(rest, today)
    if day is None and part is None:
        return None
    return Moment(day, part)
