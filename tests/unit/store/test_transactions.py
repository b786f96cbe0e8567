"""The transaction rule (issue 18), on SQLite and PostgreSQL: the store's functions never commit
nor roll back, the boundary (route, action, CLI command, job) commits, and a race the database
settles runs in a savepoint, so that losing it never discards the caller's other writes."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.store import accounts, casework, db, dossiers, live, outbox, scheduling
from bot.store.tables import Appointment, Dossier, DossierAudit, DossierNeed, LiveChat, Mediator, OutgoingMail

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)
START = datetime(2030, 1, 8, 9, 0, tzinfo=timezone.utc)

# Two transactions inserting at once: only PostgreSQL lets them overlap (SQLite serialises writers).
on_postgresql = pytest.mark.parametrize("url", ["postgresql"], indirect=True)


def a_mediator_with_a_slot(url) -> tuple[int, int]:
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=NOW)
        scheduling.open_slots(session, mediator, [START], 45)
        session.commit()
        return mediator.id, mediator.slots[0].id


def needs_of(url, conversation_id: str) -> list[str]:
    with db.session(url) as session:
        return list(
            session.execute(select(DossierNeed.intent).join(Dossier).where(Dossier.conversation_id == conversation_id)).scalars()
        )


def bookings(url) -> list[str]:
    with db.session(url) as session:
        return list(session.execute(select(Dossier.conversation_id).join(Appointment).order_by(Appointment.id)).scalars())


# --- savepoints work on both databases ----------------------------------------------------------


def test_a_savepoint_released_inside_a_transaction_does_not_commit_it(url):
    """pysqlite opens a transaction only before a DML statement: without bot.store.db's hook, a
    SAVEPOINT issued first would open it, and its RELEASE would commit the session's writes."""
    with db.session(url) as session:
        session.execute(select(Mediator.id)).all()  # only reads so far
        with session.begin_nested():
            accounts.add_mediator(session, "Karim Benali", "karim@example.org", now=NOW)
        session.rollback()  # the boundary gives up: nothing may remain
    with db.session(url) as other:
        assert accounts.mediator_by_email(other, "karim@example.org") is None


def test_a_failed_statement_in_a_savepoint_leaves_the_transaction_usable(url):
    with db.session(url) as session:
        accounts.add_mediator(session, "Karim Benali", "karim@example.org", now=NOW)
        with pytest.raises((OperationalError, ProgrammingError)):
            with session.begin_nested():
                session.execute(text("SELECT * FROM no_such_table"))
        # PostgreSQL would refuse this in an aborted transaction
        accounts.add_mediator(session, "Awa Diallo", "awa@example.org", now=NOW)
        session.commit()
    with db.session(url) as other:
        assert accounts.count_mediators(other) == 2


# --- store functions leave the transaction to the boundary -----------------------------------------


def test_store_functions_leave_the_transaction_open_until_the_boundary_commits(url):
    mediator_id, slot_id = a_mediator_with_a_slot(url)
    with db.session(url) as session:
        dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)
        scheduling.book_slot(session, "conv-a", slot_id, now=NOW)
        live.set_available(session, mediator_id, True, now=NOW)
        accounts.set_alerts(session, mediator_id, ["direct"])
        dossier_id = dossiers.by_conversation(session, "conv-a").id
        assert casework.claim(session, dossier_id, mediator_id, 30, now=NOW)
        chat = live.request(session, "conv-a", now=NOW)
        session.flush()
        with db.session(url) as other:  # nothing is visible from another session yet
            assert other.execute(select(Dossier)).first() is None
            assert other.execute(select(LiveChat)).first() is None
            assert other.execute(select(Appointment)).first() is None
            camille = other.get(Mediator, mediator_id)
            assert not camille.available and not camille.alerts
        session.commit()  # the boundary
    with db.session(url) as other:
        assert needs_of(url, "conv-a") == ["presence_en_ligne"] and bookings(url) == ["conv-a"]
        assert other.get(Dossier, dossier_id).assigned_to == mediator_id
        assert other.get(LiveChat, chat.id).state == "waiting"
        camille = other.get(Mediator, mediator_id)
        assert camille.available and camille.alerts == ["direct"]


def test_a_boundary_that_gives_up_leaves_nothing_behind(url):
    mediator_id, slot_id = a_mediator_with_a_slot(url)
    with db.session(url) as session:
        scheduling.book_slot(session, "conv-a", slot_id, now=NOW)
        live.request(session, "conv-a", now=NOW)
        session.rollback()
    assert bookings(url) == [] and needs_of(url, "conv-a") == []
    with db.session(url) as other:
        assert other.execute(select(Dossier)).first() is None


# --- a lost race never discards the caller's other writes -----------------------------------------


def test_a_booking_that_loses_the_slot_keeps_the_callers_other_writes(url):
    _, slot_id = a_mediator_with_a_slot(url)
    with db.session(url) as session:
        [offered] = scheduling.free_slots(session, after=NOW)  # read before the other person booked it
        with db.session(url) as other:  # someone else books the same slot meanwhile
            scheduling.book_slot(other, "conv-b", offered.id, now=NOW)
            other.commit()
        dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)  # the caller's own write, first
        with pytest.raises(scheduling.SlotTaken):
            scheduling.book_slot(session, "conv-a", offered.id, now=NOW)
        scheduling.request_callback(session, "conv-a", "le matin", None, now=NOW)  # the transaction goes on
        session.commit()
    assert bookings(url) == ["conv-b"]
    assert needs_of(url, "conv-a") == ["presence_en_ligne"]
    with db.session(url) as other:
        dossier = other.execute(select(Dossier).where(Dossier.conversation_id == "conv-a")).scalar_one()
        assert len(dossier.callbacks) == 1 and dossier.appointments == []


@on_postgresql
def test_two_bookings_racing_for_one_slot_on_postgresql_the_loser_keeps_its_other_writes(url):
    """Truly at once: the second INSERT waits on the first transaction's unique index entry, and
    fails when it commits. (SQLite lets one writer at a time in: there is no such overlap.)"""
    _, slot_id = a_mediator_with_a_slot(url)
    outcome = {}
    with db.session(url) as winner:
        scheduling.book_slot(winner, "conv-b", slot_id, now=NOW)  # not committed yet

        def loser():
            with db.session(url) as session:
                dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)
                try:
                    scheduling.book_slot(session, "conv-a", slot_id, now=NOW)  # waits for the winner's transaction
                    outcome["a"] = "booked"
                except scheduling.SlotTaken:
                    outcome["a"] = "taken"
                session.commit()

        thread = threading.Thread(target=loser)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # blocked on the unique index
        winner.commit()
    thread.join(timeout=30)
    assert outcome == {"a": "taken"}
    assert bookings(url) == ["conv-b"] and needs_of(url, "conv-a") == ["presence_en_ligne"]


def test_two_mediators_claiming_the_same_dossier_the_loser_keeps_its_other_writes(url):
    with db.session(url) as session:
        claire, karim = (accounts.add_mediator(session, f"{n} Martin", f"{n}@example.org", now=NOW) for n in ("claire", "karim"))
        dossier = dossiers.get_or_create_dossier(session, "conv-a", now=NOW)
        session.commit()
        claire_id, karim_id, dossier_id = claire.id, karim.id, dossier.id
    with db.session(url) as other:  # Claire is quicker
        assert casework.claim(other, dossier_id, claire_id, 30, now=NOW)
        other.commit()
    with db.session(url) as session:  # Karim's request: a note on another dossier, then the claim he loses
        dossiers.record_need(session, "conv-b", "presence_en_ligne", 0.9, now=NOW)
        assert not casework.claim(session, dossier_id, karim_id, 30, now=NOW)
        accounts.set_alerts(session, karim_id, ["direct"])
        session.commit()
    assert needs_of(url, "conv-b") == ["presence_en_ligne"]
    with db.session(url) as other:
        assert other.get(Mediator, karim_id).alerts == ["direct"]
        assert other.get(Dossier, dossier_id).assigned_to == claire_id
        actions = other.execute(select(DossierAudit.action, DossierAudit.actor_id)).all()
        assert actions == [("prise_en_charge", claire_id)]


def test_two_tabs_asking_for_a_mediator_at_once_the_second_keeps_its_other_writes(url, monkeypatch):
    with db.session(url) as session:
        dossiers.get_or_create_dossier(session, "conv-a", now=NOW)
        session.commit()
    with db.session(url) as other:  # the first tab's request
        first = live.request(other, "conv-a", now=NOW)
        other.commit()
    calls, real_open_chat = [], live.open_chat

    def open_chat(session, conversation_id):  # the second tab looked just before the first one's commit
        calls.append(conversation_id)
        return None if len(calls) == 1 else real_open_chat(session, conversation_id)

    monkeypatch.setattr(live, "open_chat", open_chat)
    with db.session(url) as session:
        dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)
        second = live.request(session, "conv-a", now=NOW + timedelta(seconds=1))  # the unique index refuses it
        assert second.id == first.id and len(calls) == 2
        assert [c.id for c in dossiers.by_conversation(session, "conv-a").live_chats] == [first.id]  # nothing stale
        session.commit()
    assert needs_of(url, "conv-a") == ["presence_en_ligne"]
    with db.session(url) as other:
        assert len(other.execute(select(LiveChat)).all()) == 1


def test_moving_to_a_slot_taken_meanwhile_keeps_the_callers_other_writes(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=NOW)
        scheduling.open_slots(session, mediator, [START, START + timedelta(hours=1)], 45)
        session.commit()
        first, second = (s.id for s in sorted(mediator.slots, key=lambda s: s.starts_at))
        reference = scheduling.book_slot(session, "conv-a", first, now=NOW).reference
        session.commit()
    with db.session(url) as other:
        scheduling.book_slot(other, "conv-b", second, now=NOW)
        other.commit()
    with db.session(url) as session:
        dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)
        with pytest.raises(scheduling.SlotTaken):
            scheduling.move_appointment(session, reference, second)
        appointment = session.execute(select(Appointment).where(Appointment.reference == reference)).scalar_one()
        assert appointment.slot_id == first and appointment.sequence == 0  # the move alone was undone
        session.commit()
    assert needs_of(url, "conv-a") == ["presence_en_ligne"]


def test_a_refused_login_is_counted_when_the_boundary_commits(url):
    with db.session(url) as session:
        accounts.create_account(session, "Awa", "awa@example.org", "correct horse battery", now=NOW)
        session.commit()
    with db.session(url) as session:
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(session, "awa@example.org", "faux", now=NOW)
        session.commit()  # as bot/web/console/auth.py's login does (it returns the refusal)
    with db.session(url) as other:
        assert accounts.mediator_by_email(other, "awa@example.org").failed_logins == 1


@on_postgresql
def test_two_transactions_queuing_the_same_mail_on_postgresql_the_second_keeps_its_other_writes(url):
    """The outbox's insert-or-nothing: the second INSERT of a dedupe key waits for the first
    transaction and, once it commits, is undone alone (enqueue returns None)."""
    outcome = {}
    with db.session(url) as first:
        assert outbox.enqueue(first, "synthese", "synthese:test", now=NOW) is not None  # not committed yet

        def second():
            with db.session(url) as session:
                dossiers.record_need(session, "conv-a", "presence_en_ligne", 0.9, now=NOW)
                outcome["mail"] = outbox.enqueue(session, "synthese", "synthese:test", now=NOW)
                session.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # blocked on the unique index
        first.commit()
    thread.join(timeout=30)
    assert outcome == {"mail": None}
    assert needs_of(url, "conv-a") == ["presence_en_ligne"]
    with db.session(url) as other:
        assert len(other.execute(select(OutgoingMail)).all()) == 1


def test_the_web_apps_unit_of_work_commits_what_the_store_wrote(url):
    """bot/web/handlers.py's `db_runner`: the boundary of every console and live route."""
    import asyncio

    from bot.web.handlers import db_runner

    mediator_id, _ = a_mediator_with_a_slot(url)
    in_db = db_runner(url)
    asyncio.run(in_db(lambda session: live.set_available(session, mediator_id, True, now=NOW)))
    with db.session(url) as other:
        assert other.get(Mediator, mediator_id).available
