"""Retention: old closed dossiers anonymised, everything else untouched; erasure on request."""
from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot import store_cli
from bot.store import conversations, db, queries, retention
from bot.store.tables import Dossier, DossierAudit, DossierNote
from tests.rasa_events import count_events, create_events_table, say


def run_cli(argv: list[str]) -> int:
    """The store's sub-commands as `bot` registers them."""
    parser = argparse.ArgumentParser(prog="bot")
    store_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


NOW = datetime(2027, 3, 15, 12, 0, tzinfo=timezone.utc)


def make_dossier(session, conversation_id: str, status: str, closed_at: datetime | None) -> int:
    queries.record_need(session, conversation_id, "presence_en_ligne", 0.8)
    queries.confirm_latest_need(session, conversation_id, True)
    queries.record_assessment(session, conversation_id, 2, "intermediaire", "strategique",
                              {"entreprise": "Boulangerie Martin", "secteur": "commerce", "code_postal": "69003"})
    queries.record_contact(session, conversation_id, "Jeanne Martin", "jeanne@example.org", "06 12 34 56 78",
                           NOW - timedelta(days=500))
    queries.record_leave(session, conversation_id, True, 4, "Très bien, merci Camille !")
    dossier = queries.get_or_create_dossier(session, conversation_id)
    dossier.status, dossier.closed_at = status, closed_at
    session.add(DossierNote(dossier=dossier, body="Rappeler Jeanne au 06 12 34 56 78"))
    session.commit()
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
        2027, 2, 28, 8, tzinfo=timezone.utc)
    assert retention.months_before(NOW, 12) == datetime(2026, 3, 15, 12, tzinfo=timezone.utc)
    assert retention.months_before(NOW, 27) == datetime(2024, 12, 15, 12, tzinfo=timezone.utc)


def test_old_closed_dossiers_are_anonymised_and_the_rest_untouched(url):
    with db.session(url) as session:
        create_events_table(session)
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400))
        recent = make_dossier(session, "recent", "clos", NOW - timedelta(days=30))
        still_open = make_dossier(session, "open", "en_cours", None)
        for conversation_id in ("old", "recent", "open"):
            say(session, conversation_id, ("user", "Bonjour, je suis Jeanne"), ("bot", "Bonjour !"))
        before = {d: snapshot(session, d) for d in (recent, still_open)}

        report = retention.purge(session, now=NOW)
        session.commit()
        assert report.dossier_ids == [old] and report.count == 1 and report.months == 12

    with db.session(url) as session:
        dossier = session.get(Dossier, old)
        assert (dossier.contact_name, dossier.contact_email, dossier.contact_phone, dossier.consent_at) == (None,) * 4
        assert dossier.profile == {"secteur": "commerce", "code_postal": "69003"}
        assert dossier.satisfaction_comment is None
        assert [n.body for n in dossier.notes] == ["[effacé]"]
        assert dossier.anonymised_at == NOW
        [audit] = dossier.audit
        assert (audit.action, audit.actor_id) == ("anonymise", None) and "12 mois" in audit.detail
        # kept for the activity reports
        assert dossier.status == "clos" and dossier.closed_at == NOW - timedelta(days=400)
        assert [(n.intent, n.confirmed) for n in dossier.needs] == [("presence_en_ligne", True)]
        assert (dossier.maturity_level, dossier.skill_level, dossier.nature) == (2, "intermediaire", "strategique")
        assert dossier.satisfaction == 4 and dossier.created_at is not None
        # the conversation itself is gone, the others are not
        assert count_events(session, "old") == 0 and conversations.transcript(session, "old") == []
        assert count_events(session, "recent") == 2 and count_events(session, "open") == 2
        assert {d: snapshot(session, d) for d in (recent, still_open)} == before


def test_purge_is_idempotent(url):
    with db.session(url) as session:
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400))
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
        say(session, "old", ("user", "Bonjour"))
        before = snapshot(session, old)
        report = retention.purge(session, now=NOW, dry_run=True)
        session.commit()
        assert report.dry_run and report.dossier_ids == [old]
        assert snapshot(session, old) == before
        assert count_events(session, "old") == 1


def test_retention_period_can_be_given(url):
    with db.session(url) as session:
        make_dossier(session, "closed-100-days-ago", "clos", NOW - timedelta(days=100))
        assert retention.purge(session, now=NOW, dry_run=True).count == 0
        assert retention.purge(session, now=NOW, months=3, dry_run=True).count == 1


def test_missing_events_table_is_tolerated(url):
    with db.session(url) as session:
        old = make_dossier(session, "old", "clos", NOW - timedelta(days=400))
        assert retention.purge(session, now=NOW).count == 1
        session.commit()  # the transaction survived the failed DELETE (savepoint)
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at == NOW


def test_erase_person_on_request_whatever_the_status(url):
    with db.session(url) as session:
        create_events_table(session)
        mediator = queries.add_mediator(session, "Camille Martin", "camille@example.org")
        still_open = make_dossier(session, "open", "en_cours", None)
        other = make_dossier(session, "other", "nouveau", None)
        say(session, "open", ("user", "Bonjour"), ("bot", "Bonjour !"))
        say(session, "other", ("user", "Bonjour"))
        assert retention.erase_person(session, still_open, mediator.id) is True
        assert retention.erase_person(session, 999_999, mediator.id) is False
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
        old = make_dossier(session, "old", "clos", datetime.now(timezone.utc) - timedelta(days=800))
        make_dossier(session, "recent", "clos", datetime.now(timezone.utc) - timedelta(days=3))

    assert run_cli(["purge", "--dry-run"]) == 0
    assert "1 dossier(s) would be anonymised" in capsys.readouterr().out
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at is None

    assert run_cli(["purge"]) == 0
    assert "1 dossier(s) anonymised" in capsys.readouterr().out
    with db.session(url) as session:
        assert session.get(Dossier, old).anonymised_at is not None
    assert run_cli(["purge"]) == 0
    assert "0 dossier(s) anonymised" in capsys.readouterr().out


def test_erasing_on_request_cancels_the_coming_appointment_and_clears_free_text(url):
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    with db.session(url) as session:
        mediator = queries.add_mediator(session, "Awa", "awa@example.org")
        queries.open_slots(session, mediator, [starts], 45)
        queries.record_need(session, "rdv", "presence_en_ligne", 0.9)
        appointment = queries.book_slot(session, "rdv", mediator.slots[0].id)
        queries.request_callback(session, "rdv", "après 18 h, demander Paul", None)
        dossier = queries.get_or_create_dossier(session, "rdv")
        dossier.outcome = "Paul Martin rappelé"
        session.commit()
        assert retention.erase_person(session, dossier.id, None)
        session.commit()
        assert appointment.status == "annule" and dossier.outcome == retention.ERASED
        assert dossier.callbacks[0].preferred_moment is None
        assert [s.id for s in queries.free_slots(session, after=starts - timedelta(hours=1))] == [mediator.slots[0].id]
