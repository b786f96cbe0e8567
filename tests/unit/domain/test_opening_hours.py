"""Opening hours: when a live mediator may be offered, and how the hours are said in French."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.datafiles import DataFileError
from bot.domain import catalog, opening_hours
from bot.settings import PARIS

HOURS = opening_hours.load()  # data/service.yml


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    "moment, is_open",
    [
        (paris(2026, 11, 30, 9, 0), True),  # Monday, opening time
        (paris(2026, 11, 30, 8, 59), False),
        (paris(2026, 11, 30, 12, 45), False),  # lunch break
        (paris(2026, 11, 30, 16, 59), True),
        (paris(2026, 11, 30, 17, 0), False),
        (paris(2026, 11, 28, 10, 0), False),  # Saturday
        (paris(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (paris(2027, 5, 6, 10, 0), False),  # Ascension 2027, a Thursday (movable feast)
        (paris(2027, 5, 7, 10, 0), True),
    ],
)
def test_open_on_weekdays_within_the_hours_and_never_on_public_holidays(moment, is_open):
    assert HOURS.is_open(moment) is is_open


def test_next_opening_skips_the_weekend_and_public_holidays():
    # Thursday 24 December 2026 after closing: Friday is Christmas, so Monday 28 at 9 h
    after = paris(2026, 12, 24, 18, 0)
    assert HOURS.next_opening(after) == paris(2026, 12, 28, 9, 0)
    assert opening_hours.french_moment(HOURS.next_opening(after), after) == "lundi 28 décembre à 9 h"
    lunch = paris(2026, 11, 30, 13, 0)
    assert opening_hours.french_moment(HOURS.next_opening(lunch), lunch) == "aujourd'hui à 14 h"
    evening = paris(2026, 11, 30, 19, 0)
    assert opening_hours.french_moment(HOURS.next_opening(evening), evening) == "demain à 9 h"


def test_the_hours_said_to_people_come_from_the_same_data():
    assert catalog.service_contact().hours == ("du lundi au vendredi, de 9 h à 12 h 30 et de 14 h à 17 h, sauf les jours fériés")
    odd = opening_hours.parse(
        {
            "closed_on_public_holidays": False,
            "week": {"lundi": ["09:00-12:00"], "mardi": ["09:00-12:00"], "samedi": ["10:00-24:00"]},
        }
    )
    assert opening_hours.describe(odd) == "le lundi et le mardi, de 9 h à 12 h ; samedi, de 10 h à minuit"
    assert odd.is_open(paris(2026, 11, 28, 23, 59)) and not odd.is_open(paris(2026, 11, 29, 0, 30))


def test_a_deployment_sets_its_own_hours_through_the_environment(monkeypatch):
    always = {"closed_on_public_holidays": False, "week": {day: ["00:00-24:00"] for day in opening_hours.WEEKDAYS}}
    monkeypatch.setenv("OPENING_HOURS", json.dumps(always))
    assert opening_hours.load().is_open(paris(2026, 12, 25, 3, 0))
    monkeypatch.setenv("OPENING_HOURS", '{"week": {}}')
    with pytest.raises(SystemExit, match="OPENING_HOURS"):
        opening_hours.load()


@pytest.mark.parametrize(
    "raw",
    [
        {"closed_on_public_holidays": True, "week": {"lundi": ["17:00-09:00"]}},
        {"closed_on_public_holidays": True, "week": {"lundi": ["9h-12h"]}},
        {"closed_on_public_holidays": True, "week": {"monday": ["09:00-12:00"]}},
        {"closed_on_public_holidays": "oui", "week": {}},
    ],
)
def test_bad_hours_are_refused_with_the_reason(raw):
    with pytest.raises(DataFileError, match="opening hours"):
        opening_hours.parse(raw)
