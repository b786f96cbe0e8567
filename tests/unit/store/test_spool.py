"""The database is away while a dossier is written: the write is retried, kept in the durable
spool, and replayed in order when the database answers again (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from actions import dossier
from actions.booking import ActionBookAppointment
from bot import clock
from bot.store import db, dossiers
from bot.store.dossier_writes import (
    ConfirmLatestNeed,
    RecordAnswered,
    RecordContact,
    RecordLeave,
    RecordNeed,
    RequestCallback,
    RequestSynthesis,
    UpdateProfile,
    from_json,
    to_json,
)
from bot.store.spool import Spool, write_now
from bot.store.tables import OutgoingMail
from tests.support.actions import make_tracker, run
from tests.support.clock import AT

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1: connection refused


def test_writes_are_spooled_while_the_database_is_away_then_replayed_in_order(url, monkeypatch, tmp_path):
    monkeypatch.setattr(dossier, "RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    consent = datetime(2030, 1, 2, 10, 0, tzinfo=timezone.utc)
    assert dossier.record("c1", RecordNeed("presence_en_ligne", 0.9)) is False
    assert (
        dossier.record(
            "c1",
            ConfirmLatestNeed(True),
            RecordContact("Camille", None, "06 12 34 56 78", consent),
            RequestCallback("le matin", date(2030, 1, 15)),
        )
        is False
    )
    spool = Spool(tmp_path / "var")
    assert spool.pending() == 2  # kept on disk, nothing lost

    monkeypatch.setenv("DATABASE_URL", url)  # the database is back
    assert dossier.record("c1", RecordAnswered(False)) is True  # replays the spool first
    assert spool.pending() == 0
    with db.session(url) as session:
        stored = dossiers.dossier_as_dict(dossiers.by_conversation(session, "c1"), now=AT)
    assert stored["needs"][0]["intent"] == "presence_en_ligne" and stored["needs"][0]["confirmed"] is True
    assert stored["contact"]["phone"] == "06 12 34 56 78" and stored["contact"]["consent_at"] == consent.isoformat()
    assert stored["callback"] == {"preferred_moment": "le matin", "deadline": "2030-01-15"}
    assert stored["answered"] is False


def test_a_dossier_write_takes_its_moment_from_the_injected_clock_never_the_real_one(url, monkeypatch, tmp_path):
    """Every dossier write is dated by the actions' clock (bot/clock.py), also when it waited in the
    spool: a store function that read the real clock would date it today, not in 2031."""
    spooled, written = datetime(2031, 6, 2, 8, 0, tzinfo=timezone.utc), datetime(2031, 6, 2, 9, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(dossier, "RETRY_DELAYS", (0.01,))
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    monkeypatch.setattr(clock, "now", lambda: spooled)
    assert dossier.record("c9", RecordNeed("presence_en_ligne", 0.9), UpdateProfile({"secteur": "commerce"})) is False
    monkeypatch.setenv("DATABASE_URL", url)  # the database is back an hour and a half later
    monkeypatch.setattr(clock, "now", lambda: written)
    consent = datetime(2031, 6, 2, 9, 29, tzinfo=timezone.utc)
    contact = RecordContact("Camille", "camille@example.org", "06 12 34 56 78", consent)
    assert dossier.record("c9", ConfirmLatestNeed(True), contact) is True
    assert dossier.record("c9", RequestCallback("le matin", None), RecordAnswered(True), RequestSynthesis()) is True
    with db.session(url) as session:
        stored = dossiers.by_conversation(session, "c9")
        assert stored.created_at == spooled and stored.needs[0].created_at == spooled  # the moment it was said
        assert stored.updated_at == written and stored.callbacks[0].created_at == written
        # the e-mails those writes queued (the call back's acknowledgement, the synthesis) too
        queued = session.execute(select(OutgoingMail.kind, OutgoingMail.created_at).order_by(OutgoingMail.id)).all()
        assert [tuple(row) for row in queued] == [("rappel_accuse", written), ("synthese", written)]
        assert dossiers.dossier_as_dict(stored, now=written)["updated_at"] == written.isoformat()


def test_replay_stops_at_the_first_failure_and_keeps_the_rest(url, tmp_path):
    spool = Spool(tmp_path)
    spool.append("c2", [RecordNeed("former_salaries", 0.8)], AT)
    spool.append("c2", [RecordAnswered(True)], AT)
    assert spool.replay(lambda cid, steps, at: write_now(UNREACHABLE, cid, steps, at), AT) == 0
    assert spool.pending() == 2
    assert spool.replay(lambda cid, steps, at: write_now(url, cid, steps, at), AT) == 2 and spool.pending() == 0


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


def test_each_write_goes_to_json_with_its_kind_and_comes_back_the_same():
    consent = datetime(2030, 1, 2, 10, 0, tzinfo=timezone.utc)
    writes = [
        RecordNeed("presence_en_ligne", 0.9),
        UpdateProfile({"secteur": "boulangerie"}),
        RecordContact("Camille", None, "06 12 34 56 78", consent),
        RecordLeave(True, 4, None, date(2030, 1, 15), date(2030, 1, 20)),
        RequestSynthesis(),
    ]
    as_json = [to_json(w) for w in writes]
    assert as_json[0] == {"kind": "record_need", "intent": "presence_en_ligne", "confidence": 0.9}
    assert as_json[2]["consent_at"] == {"$datetime": consent.isoformat()} and as_json[4] == {"kind": "request_synthesis"}
    assert [from_json(json.loads(json.dumps(j))) for j in as_json] == writes


def test_an_unknown_write_is_refused_when_read():
    for bad in ({"kind": "drop_table"}, ["drop_table", []], {"kind": "record_need", "intent": "x"}, "record_need"):
        with pytest.raises(ValueError):
            from_json(bad)


def test_a_spool_file_of_the_former_format_is_replayed_as_the_same_writes(url, tmp_path):
    """A deployment may have a spool file written before the writes were typed: `[name, [arguments]]`
    pairs, dates tagged; it is replayed as the same commands, and an unknown name is dropped."""
    spool = Spool(tmp_path)
    spool.path.parent.mkdir(parents=True)
    consent = datetime(2030, 1, 2, 10, 0, tzinfo=timezone.utc)
    old = [
        {"conversation_id": "old-1", "steps": [["record_need", ["presence_en_ligne", 0.9]], ["confirm_latest_need", [True]]]},
        {"conversation_id": "old-1", "steps": [["not_a_write", []]]},
        {
            "conversation_id": "old-1",
            "steps": [
                ["record_contact", ["Camille", None, "06 12 34 56 78", {"$datetime": consent.isoformat()}]],
                ["request_callback", ["le matin", {"$date": "2030-01-15"}]],
            ],
        },
    ]
    spool.path.write_text("".join(json.dumps(e) + "\n" for e in old), encoding="utf-8")
    seen = []
    assert spool.replay(lambda cid, writes, at: seen.append(writes) or write_now(url, cid, writes, at), AT) == 3
    assert seen == [
        [RecordNeed("presence_en_ligne", 0.9), ConfirmLatestNeed(True)],
        [RecordContact("Camille", None, "06 12 34 56 78", consent), RequestCallback("le matin", date(2030, 1, 15))],
    ]
    assert spool.pending() == 0
    with db.session(url) as session:
        stored = dossiers.dossier_as_dict(dossiers.by_conversation(session, "old-1"), now=AT)
    assert stored["needs"][0]["intent"] == "presence_en_ligne" and stored["needs"][0]["confirmed"] is True
    assert stored["contact"]["consent_at"] == consent.isoformat()
    assert stored["callback"] == {"preferred_moment": "le matin", "deadline": "2030-01-15"}


def test_the_spool_file_holds_each_write_as_json_with_its_kind(tmp_path):
    spool = Spool(tmp_path)
    spool.append("c3", [RecordNeed("former_salaries", 0.8), RecordAnswered(True)], AT)
    entry = json.loads(spool.path.read_text(encoding="utf-8"))
    assert entry == {
        "conversation_id": "c3",
        "at": AT.isoformat(),  # when the writes were made: the replay writes that moment
        "steps": [
            {"kind": "record_need", "intent": "former_salaries", "confidence": 0.8},
            {"kind": "record_answered", "answered": True},
        ],
    }
