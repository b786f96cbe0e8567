"""Retention: old closed dossiers anonymised, everything else untouched; erasure on request."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot import clock
from bot.ops import store_cli
from bot.store import accounts, casework, conversations, db, dossiers, retention, scheduling
from bot.store.tables import Dossier, DossierAudit, DossierNote
from tests.support.rasa_events import count_events, create_events_table, say


def run_cli(argv: list[str]) -> int:
    """The store's sub-commands as `bot` registers them."""
    parser = argparse.ArgumentParser(prog="bot")
    store_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


NOW = datetime(2027, 3, 15, 12, 0, tzinfo=timezone.utc)


def make_dossier(
    session, conversation_id: str, status: str, last_activity: datetime, closed_at: datetime | None = None, words: bool = True
) -> int:
    """A dossier with every kind of personal data; the person's last message at `last_activity`
    (in Rasa's events table, or only as the dossier's last change when `words` is False)."""
    dossiers.record_need(session, conversation_id, "presence_en_ligne", 0.8, now=last_activity)
    dossiers.confirm_latest_need(session, conversation_id, True, now=last_activity)
    dossiers.record_assessment(
        session,
        conversation_id,
        2,
        "intermediaire",
        "strategique",
        {"entreprise": "Boulangerie Martin", "secteur": "commerce", "code_postal": "69003"},
        now=last_activity,
    )
    dossiers.record_contact(
        session,
        conversation_id,
        "Jeanne Martin",
        "jeanne@example.org",
        "06 12 34 56 78",
        last_activity - timedelta(minutes=5),
        now=last_activity,
    )
    dossiers.record_leave(session, conversation_id, True, 4, "Très bien, merci Camille !", now=last_activity)
    dossier = dossiers.by_conversation(session, conversation_id)
    dossier.status, dossier.closed_at = status, closed_at
    dossier.created_at = last_activity
    session.add(DossierNote(dossier=dossier, body="Rappeler Jeanne au 06 12 34 56 78", created_at=last_activity))
    session.commit()
    if words:
        say(
            session,
            conversation_id,
            ("user", "Bonjour, je suis Jeanne"),
            ("bot", "Bonjour !"),
            start=last_activity.timestamp() - 1,
        )
    return dossier.id


def snapshot(session, dossier_id: int) -> dict:
    dossier = session.get(Dossier, dossier_id)
    session.refresh(dossier)
    return {
        "contact": (dossier.contact_name, dossier.contact_email, dossier.contact_phone, dossier.consent_at),
        "profile": dict(dossier.profile),
        "comment": dossier.satisfaction_comment,
        "notes": [n.body for n in dossier.notes],
        "anonymised_at": dossier.anonymised_at,
        "audit": [(a.action, a.actor_id) for a in dossier.audit],
    }


def test_months_before_clamps_to_the_end_of_the_month():
    assert retention.months_before(datetime(2027, 3, 31, 8, tzinfo=timezone.utc), 1) == datetime(
        2027, 2, 28, 8, tzinfo=timezone.utc
    )
    assert retention.months_before(NOW, 12) == datetime(2026, 3, 15, 12, tzinfo=timezone.utc)
    assert retention.months_before(NOW, 27) == datetime(2024, 12, 15, 12, tzinfo=timezone.utc)


def test_every_conversation_past_the_period_is_purged_whatever_its_status(url):
    """Closed, never closed, handled by the assistant alone, or without a dossier at all."""
    with db.session(url) as session:
        create_events_table(session)
        old = {
            status: make_dossier(session, f"old-{status}", status, NOW - timedelta(days=400))
            for status in ("clos", "nouveau", "en_cours")
        }
        quiet = make_dossier(session, "quiet", "nouveau", NOW - timedelta(days=500), words=False)
        say(
            session,
            "no-dossier",
            ("user", "Bonjour, je suis Jeanne au 06 12 34 56 78"),
            start=(NOW - timedelta(days=380)).timestamp(),
        )
        recent = make_dossier(session, "recent", "clos", NOW - timedelta(days=30))
        # closed long ago, but the person wrote again last month: the clock starts again
        back = make_dossier(session, "back", "clos", NOW - timedelta(days=30), closed_at=NOW - timedelta(days=600))
        say(session, "recent-no-dossier", ("user", "Bonjour"), start=(NOW - timedelta(days=2)).timestamp())
        before = {d: snapshot(session, d) for d in (recent, back)}

        report = retention.purge(session, now=NOW)
        session.commit()
        assert sorted(report.dossier_ids) == sorted([*old.values(), quiet]) and report.months == 12
        assert [d.conversation_id for d in report.purged if d.dossier_id is None] == ["no-dossier"]
        assert report.count == 5 and report.kept == []

    with db.session(url) as session:
        for dossier_id in [*old.values(), quiet]:
            dossier = session.get(Dossier, dossier_id)
            assert (dossier.contact_name, dossier.contact_email, dossier.contact_phone, dossier.consent_at) == (None,) * 4
            assert dossier.profile == {"secteur": "commerce", "code_postal": "69003"}
            assert dossier.satisfaction_comment is None
            assert [n.body for n in dossier.notes] == ["[effacé]"]
            assert dossier.anonymised_at == NOW
            [audit] = dossier.audit
            assert (audit.action, audit.actor_id) == ("anonymise", None) and "12 mois" in audit.detail
            # kept for the activity reports
            assert [(n.intent, n.confirmed) for n in dossier.needs] == [("presence_en_ligne", True)]
            assert (dossier.maturity_level, dossier.skill_level, dossier.nature) == (2, "intermediaire", "strategique")
            assert dossier.satisfaction == 4 and dossier.created_at is not None
            assert count_events(session, dossier.conversation_id) == 0
            assert conversations.transcript(session, dossier.conversation_id) == []
        assert session.get(Dossier, old["nouveau"]).status == "nouveau"  # statuses stay for the figures
        assert count_events(session, "no-dossier") == 0
        # the others are untouched
        assert count_events(session, "recent") == 2 and count_events(session, "back") == 2
        assert count_events(session, "recent-no-dossier") == 1
        assert {d: snapshot(session, d) for d in (recent, back)} == before


def test_an_open_case_a_mediator_works_on_is_kept_and_says_so(url):
    with db.session(url) as session:
        create_events_table(session)
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=NOW)
        worked = make_dossier(session, "worked", "en_cours", NOW - timedelta(days=400))
        dropped = make_dossier(session, "dropped", "nouveau", NOW - timedelta(days=400))
        dossier = session.get(Dossier, worked)
        casework.audit(session, dossier, mediator.id, "note", at=NOW - timedelta(days=10))  # still on it
        # a mediator's work long ago does not keep a dossier forever
        casework.audit(session, session.get(Dossier, dropped), mediator.id, "note", at=NOW - timedelta(days=380))
        session.commit()

        status = retention.status(session, session.get(Dossier, worked), now=NOW)
        assert status.kept_in_progress and status.last_activity < NOW - timedelta(days=365)
        assert not retention.status(session, session.get(Dossier, dropped), now=NOW - timedelta(days=100)).kept_in_progress

        report = retention.purge(session, now=NOW)
        session.commit()
        assert report.dossier_ids == [dropped]
        assert [(d.dossier_id, d.why) for d in report.kept] == [(worked, "conservé car en cours (un médiateur y travaille)")]
        assert session.get(Dossier, worked).contact_name == "Jeanne Martin" and count_events(session, "worked") == 2

        # once the mediator closes it, the next purge takes it
        dossier = session.get(Dossier, worked)
        dossier.status = "clos"
        session.commit()
        assert retention.purge(session, now=NOW).dossier_ids == [worked]
        session.commit()
        assert retention.status(session, session.get(Dossier, worked), now=NOW) is None


def test_purge_is_idempotent(url):
    with db.session(url) as session:
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400), words=False)
        assert retention.purge(session, now=NOW).count == 1
        session.commit()
        first = snapshot(session, old)
        again = retention.purge(session, now=NOW + timedelta(days=1))
        session.commit()
        assert again.count == 0 and again.dossier_ids == []
        assert snapshot(session, old) == first
        assert session.execute(select(DossierAudit.action)).scalars().all() == ["anonymise"]


def test_dry_run_changes_nothing(url):
    with db.session(url) as session:
        create_events_table(session)
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400))
        before = snapshot(session, old)
        report = retention.purge(session, now=NOW, dry_run=True)
        session.commit()
        assert report.dry_run and report.dossier_ids == [old]
        assert snapshot(session, old) == before
        assert count_events(session, "old") == 2


def test_retention_period_can_be_given(url):
    with db.session(url) as session:
        make_dossier(session, "closed-100-days-ago", "clos", NOW - timedelta(days=100), words=False)
        assert retention.purge(session, now=NOW, dry_run=True).count == 0
        assert retention.purge(session, now=NOW, months=3, dry_run=True).count == 1


def test_missing_events_table_is_tolerated(url):
    with db.session(url) as session:
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400), words=False)
        assert retention.purge(session, now=NOW).count == 1
        session.commit()  # nothing failed: the table's absence is asked, not tried
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at == NOW


def test_a_purge_reading_rasa_events_then_writing_survives_a_tracker_write_in_between(url):
    """Seen in make test (SQLite): the purge read Rasa's events in a savepoint, which opened the
    transaction; the tracker store committed a message meanwhile; the purge's first UPDATE then
    failed at once with « database is locked » (its snapshot was stale: no busy wait helps)."""
    with db.session(url) as session:
        create_events_table(session)
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400))
    with db.session(url) as purging:
        last_events = retention._last_events(purging)  # the purge's first read
        assert "old" in last_events
        with db.session(url) as tracker_store:  # another conversation goes on meanwhile
            say(tracker_store, "someone-else", ("user", "Bonjour"), start=NOW.timestamp())
        assert retention.purge(purging, now=NOW).count == 1
        purging.commit()
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at == NOW


def test_erase_person_on_request_whatever_the_status(url):
    with db.session(url) as session:
        create_events_table(session)
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=NOW)
        still_open = make_dossier(session, "open", "en_cours", NOW, words=False)
        other = make_dossier(session, "other", "nouveau", NOW, words=False)
        say(session, "open", ("user", "Bonjour"), ("bot", "Bonjour !"))
        say(session, "other", ("user", "Bonjour"))
        assert retention.erase_person(session, still_open, mediator.id, now=NOW) is True
        assert retention.erase_person(session, 999_999, mediator.id, now=NOW) is False
        session.commit()
        mediator_id = mediator.id

    with db.session(url) as session:
        erased = snapshot(session, still_open)
        assert erased["contact"] == (None,) * 4 and erased["comment"] is None and erased["notes"] == ["[effacé]"]
        assert "entreprise" not in erased["profile"] and erased["anonymised_at"] is not None
        assert erased["audit"] == [("effacement_demande", mediator_id)]
        assert session.get(Dossier, still_open).status == "en_cours"
        assert count_events(session, "open") == 0 and count_events(session, "other") == 1
        assert snapshot(session, other)["contact"][0] == "Jeanne Martin"


def test_purge_command(url, monkeypatch, capsys):
    monkeypatch.setattr(store_cli, "open_session", lambda: db.session(url))
    with db.session(url) as session:
        # the command reads the real clock: dates relative to it
        old = make_dossier(session, "old", "nouveau", clock.now() - timedelta(days=800), words=False)
        make_dossier(session, "recent", "clos", clock.now() - timedelta(days=3), words=False)

    assert run_cli(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 conversation(s) would be purged" in out and "1 of them with a dossier" in out
    assert f"would purge old (dossier {old}): dernière activité le" in out and "« nouveau »" in out
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at is None

    assert run_cli(["purge"]) == 0
    assert "1 conversation(s) purged" in capsys.readouterr().out
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at is not None
    assert run_cli(["purge"]) == 0
    assert "0 conversation(s) purged" in capsys.readouterr().out


def test_erasing_on_request_cancels_the_coming_appointment_and_clears_free_text(url):
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=NOW)
        scheduling.open_slots(session, mediator, [starts], 45)
        dossiers.record_need(session, "rdv", "presence_en_ligne", 0.9, now=NOW)
        appointment = scheduling.book_slot(session, "rdv", mediator.slots[0].id, now=clock.now())
        scheduling.request_callback(session, "rdv", "après 18 h, demander Paul", None, now=NOW)
        dossier = dossiers.by_conversation(session, "rdv")
        dossier.outcome = "Paul Martin rappelé"
        session.commit()
        assert retention.erase_person(session, dossier.id, None, now=clock.now())
        session.commit()
        assert appointment.status == "annule" and dossier.outcome == retention.ERASED
        assert dossier.callbacks[0].preferred_moment is None
        assert [s.id for s in scheduling.free_slots(session, after=starts - timedelta(hours=1))] == [mediator.slots[0].id]
