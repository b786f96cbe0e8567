"""The database is away while a dossier is written: the write is retried, kept in the durable
spool, and replayed in order when the database answers again (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone


from actions import dossier
from actions.handover import ActionBookAppointment
from bot.store import db, queries
from bot.store.spool import Spool, write_now
from tests.test_actions import make_tracker, run

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1: connection refused


def test_writes_are_spooled_while_the_database_is_away_then_replayed_in_order(url, monkeypatch, tmp_path):
    monkeypatch.setattr(dossier, "RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    consent = datetime(2030, 1, 2, 10, 0, tzinfo=timezone.utc)
    assert dossier.record("c1", ("record_need", ["presence_en_ligne", 0.9])) is False
    assert (
        dossier.record(
            "c1",
            ("confirm_latest_need", [True]),
            ("record_contact", ["Camille", None, "06 12 34 56 78", consent]),
            ("request_callback", ["le matin", date(2030, 1, 15)]),
        )
        is False
    )
    spool = Spool(tmp_path / "var")
    assert spool.pending() == 2  # kept on disk, nothing lost

    monkeypatch.setenv("DATABASE_URL", url)  # the database is back
    assert dossier.record("c1", ("record_answered", [False])) is True  # replays the spool first
    assert spool.pending() == 0
    with db.session(url) as session:
        stored = queries.dossier_as_dict(queries.get_or_create_dossier(session, "c1"))
    assert stored["needs"][0]["intent"] == "presence_en_ligne" and stored["needs"][0]["confirmed"] is True
    assert stored["contact"]["phone"] == "06 12 34 56 78" and stored["contact"]["consent_at"] == consent.isoformat()
    assert stored["callback"] == {"preferred_moment": "le matin", "deadline": "2030-01-15"}
    assert stored["answered"] is False


def test_replay_stops_at_the_first_failure_and_keeps_the_rest(url, tmp_path):
    spool = Spool(tmp_path)
    spool.append("c2", [("record_need", ["former_salaries", 0.8])])
    spool.append("c2", [("record_answered", [True])])
    assert spool.replay(lambda cid, steps: write_now(UNREACHABLE, cid, steps)) == 0
    assert spool.pending() == 2
    assert spool.replay(lambda cid, steps: write_now(url, cid, steps)) == 2 and spool.pending() == 0


def test_a_booking_the_database_refuses_is_said_plainly_and_becomes_a_call_back(monkeypatch, tmp_path):
    monkeypatch.setattr(dossier, "RETRY_DELAYS", (0.01,))
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    tracker = make_tracker(
        "/inform",
        "inform",
        slots={
            "consentement": True,
            "consentement_le": datetime.now(timezone.utc).isoformat(),
            "contact_nom": "Camille",
            "contact_coordonnees": "06 12 34 56 78",
            "creneau": "1",
        },
    )
    messages, events = run(ActionBookAppointment(), tracker)
    assert [m.get("response") for m in messages][:1] == ["utter_booking_failed"]
    assert events == []
    assert Spool(tmp_path / "var").pending() == 2  # the contact and a call-back request, kept
