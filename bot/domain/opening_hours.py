"""When the mediators are on duty: opening hours per weekday, closed on French public holidays.

The hours come from data/service.yml (`opening_hours`), or from the OPENING_HOURS environment
variable (the same structure as JSON) for a deployment with other hours. They decide whether the
assistant may offer a live conversation with a mediator, and what it says when the service is closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
import jsonschema

from bot import paths, schemas, settings
from bot.datafiles import DataFileError, load_cached
from bot.settings import PARIS

WEEKDAYS = schemas.WEEKDAYS
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]


@dataclass(frozen=True)
class Period:
    start: time
    end: time  # time(0) stands for midnight at the end of the day ("24:00")

    def contains(self, moment: time) -> bool:
        return self.start <= moment and (moment < self.end or self.end == time(0))


@dataclass(frozen=True)
class OpeningHours:
    week: tuple[tuple[Period, ...], ...]  # Monday first
    closed_on_public_holidays: bool

    def periods_on(self, day: date) -> tuple[Period, ...]:
        if self.closed_on_public_holidays and day in _french_holidays(day.year):
            return ()
        return self.week[day.weekday()]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(PARIS)
        return any(p.contains(local.time()) for p in self.periods_on(local.date()))

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end] lies within one opening period (never on a public holiday when closed)."""
        local_start, local_end = start.astimezone(PARIS), end.astimezone(PARIS)
        for period in self.periods_on(local_start.date()):
            period_start = datetime.combine(local_start.date(), period.start, tzinfo=PARIS)
            period_end = (
                datetime.combine(local_start.date() + timedelta(days=1), time(0), tzinfo=PARIS)
                if period.end == time(0)
                else datetime.combine(local_start.date(), period.end, tzinfo=PARIS)
            )
            if period_start <= local_start and local_end <= period_end:
                return True
        return False

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next time the service opens after `moment` (within two weeks), in Paris time."""
        local = moment.astimezone(PARIS)
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            for period in self.periods_on(day):
                start = datetime.combine(day, period.start, tzinfo=PARIS)
                if start > local:
                    return start
        return None


def _parse_period(text: str) -> Period:
    start, end = (part.strip() for part in text.split("-", 1))
    end_time = time(0) if end == "24:00" else time.fromisoformat(end.zfill(5))
    period = Period(time.fromisoformat(start.zfill(5)), end_time)
    if period.end != time(0) and period.end <= period.start:
        raise ValueError(f"{text}: the end must come after the start")
    return period


def parse(raw: dict) -> OpeningHours:
    """Opening hours from their data-file form; DataFileError says what is wrong."""
    try:
        jsonschema.validate(raw, schemas.OPENING_HOURS)
        week = tuple(tuple(_parse_period(p) for p in raw["week"].get(day, [])) for day in WEEKDAYS)
    except (jsonschema.ValidationError, ValueError) as exc:
        raise DataFileError(f"opening hours: {getattr(exc, 'message', exc)}") from exc
    return OpeningHours(week=week, closed_on_public_holidays=raw["closed_on_public_holidays"])


def load() -> OpeningHours:
    """The hours in force: OPENING_HOURS (bot/settings.py) if set, else data/service.yml (parsed once each)."""
    return _load(settings.current().opening_hours)


@lru_cache(maxsize=4)
def _load(override: str) -> OpeningHours:
    if override:
        try:
            return parse(json.loads(override))
        except ValueError as exc:
            raise SystemExit(f"OPENING_HOURS is not valid: {exc}") from exc
    return parse(load_cached(paths.DATA / "service.yml", "SERVICE")["service"]["opening_hours"])


@lru_cache(maxsize=4)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def is_public_holiday(day: date) -> bool:
    """A French public holiday (metropolitan list of the `holidays` package)."""
    return day in _french_holidays(day.year)


# --- said in French ----------------------------------------------------------------------------


def _clock(moment: time) -> str:
    if moment == time(0):
        return "minuit"
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def _periods_text(periods: tuple[Period, ...]) -> str:
    return " et ".join(f"de {_clock(p.start)} à {_clock(p.end)}" for p in periods)


def describe(hours: OpeningHours) -> str:
    """« du lundi au vendredi, de 9 h à 12 h 30 et de 14 h à 17 h » (days with the same hours grouped)."""
    groups: list[tuple[int, int, tuple[Period, ...]]] = []
    for index, periods in enumerate(hours.week):
        if groups and groups[-1][2] == periods and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, periods)
        else:
            groups.append((index, index, periods))
    parts = []
    for first, last, periods in groups:
        if not periods:
            continue
        days = (
            WEEKDAYS[first]
            if first == last
            else (
                f"le {WEEKDAYS[first]} et le {WEEKDAYS[last]}"
                if last == first + 1
                else f"du {WEEKDAYS[first]} au {WEEKDAYS[last]}"
            )
        )
        parts.append(f"{days}, {_periods_text(periods)}")
    if not parts:
        return "sur rendez-vous"
    text = " ; ".join(parts)
    return text + (", sauf les jours fériés" if hours.closed_on_public_holidays else "")


def french_moment(moment: datetime, now: datetime) -> str:
    """« aujourd'hui à 14 h », « demain à 9 h », « lundi 30 novembre à 9 h »."""
    local, today = moment.astimezone(PARIS), now.astimezone(PARIS).date()
    clock = _clock(local.time())
    if local.date() == today:
        return f"aujourd'hui à {clock}"
    if local.date() == today + timedelta(days=1):
        return f"demain à {clock}"
    return f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} à {clock}"
