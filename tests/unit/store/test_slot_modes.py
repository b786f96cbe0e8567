"""How and where an appointment is held (the slot's mode), and no slot on a public holiday or
outside the opening hours: `bot slots open`, the store, the chat's slot buttons."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.domain import opening_hours
from bot.ops import store_cli
from bot.settings import PARIS
from bot.store import accounts, db, scheduling
from bot.store.tables import Slot
from tests.support.clock import AT

HOURS = opening_hours.parse(
    {
        "closed_on_public_holidays": True,
        "week": {
            "lundi": ["09:00-12:30", "14:00-17:00"],
            "mardi": ["09:00-12:30", "14:00-17:00"],
            "mercredi": ["09:00-12:30", "14:00-17:00"],
            "jeudi": ["09:00-12:30", "14:00-17:00"],
            "vendredi": ["09:00-12:30", "14:00-17:00"],
        },
    }
)


def test_no_slot_on_a_public_holiday_or_outside_the_opening_hours(url):
    # the week of 1 May 2030 (Wednesday, Fête du travail) and 8 May 2030 (Wednesday, Victoire 1945)
    starts = store_cli.slot_starts(date(2030, 4, 29), 10, store_cli.parse_hours("8:00-13:00,14:00-18:00"), 60)
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        added = scheduling.open_slots(session, mediator, starts, 60, hours=HOURS)
        session.commit()
        opened = [s.starts_at.astimezone(PARIS) for s in session.query(Slot).order_by(Slot.starts_at)]
    assert added == len(opened) == 6 * (3 + 3)  # 8 weekdays, less two holidays; 9-12 and 14-17
    assert {d.date() for d in opened}.isdisjoint({date(2030, 5, 1), date(2030, 5, 8)})
    assert min(d.hour for d in opened) == 9 and max(d.hour for d in opened) == 16
    assert not any(d.hour == 12 for d in opened)  # 12:00-13:00 would end after 12:30


def test_modes_and_the_place_of_a_sur_place_slot(url):
    start = datetime(2030, 1, 8, 10, tzinfo=PARIS)
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        with pytest.raises(ValueError, match="needs the address"):
            scheduling.open_slots(session, mediator, [start], 45, mode="sur_place")
        with pytest.raises(ValueError, match="unknown mode"):
            scheduling.open_slots(session, mediator, [start], 45, mode="pigeon")
        assert scheduling.open_slots(session, mediator, [start], 45, mode="sur_place", place=" 3 place\nBellecour ") == 1
        session.commit()
        slot = session.query(Slot).one()
        assert (slot.mode, slot.place) == ("sur_place", "3 place Bellecour")


def test_bot_slots_open_with_a_mode(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OPENING_HOURS", raising=False)
    from bot.ops.cli import main
    from bot.store import migrate

    migrate.upgrade(url)
    with db.session(url) as session:
        accounts.add_mediator(session, "Karim Benali", "karim@example.org", now=AT)
        session.commit()
    assert (
        main(
            [
                "slots",
                "open",
                "--mediator",
                "karim@example.org",
                "--start",
                "2030-12-23",
                "--days",
                "5",
                "--hours",
                "9:00-10:00",
                "--mode",
                "sur_place",
                "--place",
                "Mairie de Lyon 3e",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "4 slot(s) opened for Karim Benali (sur_place, Mairie de Lyon 3e); 1 left out" in out  # 25 Dec
    assert main(["slots", "open", "--mediator", "karim@example.org", "--mode", "sur_place"]) == 2
    assert "needs the address" in capsys.readouterr().err
