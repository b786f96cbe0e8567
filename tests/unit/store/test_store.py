"""The store on SQLite and PostgreSQL: schema from the migrations, dossiers, booking without double booking."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.ops import store_cli
from bot.store import accounts, casework, conversations, db, dossiers, migrate, retention, scheduling
from bot.store.statuses import DossierStatus
from bot.store.tables import Base
from tests.support.clock import AT


def test_migrations_build_exactly_the_declared_schema(url):
    with db.engine_for(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    migrate.upgrade(url)  # idempotent


def test_needs_profile_and_corrections_are_recorded(url):
    with db.session(url) as session:
        dossiers.record_need(session, "conv-1", "presence_en_ligne", 0.71, now=AT)
        dossiers.confirm_latest_need(session, "conv-1", False, now=AT)
        dossiers.record_need(session, "conv-1", "nouveaux_services_digitaux", 1.0, now=AT)
        dossiers.confirm_latest_need(session, "conv-1", True, now=AT)
        dossiers.update_profile(session, "conv-1", {"secteur": "commerce"}, now=AT)
        dossiers.update_profile(session, "conv-1", {"code_postal": "69003"}, now=AT)
        session.commit()
    with db.session(url) as session:
        [dossier] = dossiers.list_dossiers(session)
        data = dossiers.dossier_as_dict(dossier, now=AT)
    assert data["conversation_id"] == "conv-1" and data["status"] == "nouveau"
    assert data["needs"] == [
        {"intent": "presence_en_ligne", "confidence": 0.71, "confirmed": False, "corrected_to": "nouveaux_services_digitaux"},
        {"intent": "nouveaux_services_digitaux", "confidence": 1.0, "confirmed": True, "corrected_to": None},
    ]
    assert data["profile"] == {"secteur": "commerce", "code_postal": "69003"}
    assert data["appointment"] is None and data["callback"] is None


def test_unknown_status_is_refused(url):
    with db.session(url) as session, pytest.raises(ValueError, match="unknown status"):
        dossiers.list_dossiers(session, "ferme")


def test_mediators_and_slots(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille", "Camille@Example.org", now=AT)
        with pytest.raises(ValueError, match="already exists"):
            accounts.add_mediator(session, "Camille bis", "camille@example.org", now=AT)
        with pytest.raises(ValueError, match="valid e-mail"):
            accounts.add_mediator(session, "Sans mail", "pas-un-mail", now=AT)
        mediator = accounts.mediator_by_email(session, "camille@example.org")
        starts = store_cli.slot_starts(date(2030, 1, 7), 7, store_cli.parse_hours("9:00-11:00"), 60)
        assert len(starts) == 10  # five weekdays, two slots each
        assert scheduling.open_slots(session, mediator, starts, 60) == 10
        assert scheduling.open_slots(session, mediator, starts, 60) == 0  # already open
        session.commit()
        free = scheduling.free_slots(session, after=datetime(2030, 1, 1, tzinfo=timezone.utc), limit=3)
        assert [s.starts_at.astimezone(store_cli.PARIS).hour for s in free] == [9, 10, 9]


def test_a_slot_is_booked_once_and_freed_by_cancelling(url):
    with db.session(url) as session:
        store_cli.create_demo_data(session, today=date(2030, 1, 1))
        first = scheduling.free_slots(session, after=datetime(2030, 1, 1, tzinfo=timezone.utc), limit=1)[0]
        appointment = scheduling.book_slot(session, "conv-a", first.id, now=AT)
        assert appointment.reference.startswith("RDV-")
        with pytest.raises(scheduling.SlotTaken):
            scheduling.book_slot(session, "conv-b", first.id, now=AT)
        assert first.id not in [s.id for s in scheduling.free_slots(session, datetime(2030, 1, 1, tzinfo=timezone.utc))]
        scheduling.cancel_appointment(session, appointment.reference.lower())
        session.commit()
        assert scheduling.book_slot(session, "conv-b", first.id, now=AT).slot_id == first.id


def test_twenty_concurrent_bookings_of_the_same_slot(url):
    """Exactly one gets the slot; the others are offered another; every dossier stored once."""
    with db.session(url) as session:
        store_cli.create_demo_data(session, today=date(2030, 1, 1))
        first = scheduling.free_slots(session, after=datetime(2030, 1, 1, tzinfo=timezone.utc), limit=1)[0].id
    barrier = threading.Barrier(20)
    outcomes, errors = {}, []

    def person(i: int):
        conversation = f"conc-{i}"
        try:
            with db.session(url) as session:
                barrier.wait()
                try:
                    scheduling.book_slot(session, conversation, first, now=AT)
                    outcomes[conversation] = first
                except scheduling.SlotTaken:
                    for _ in range(30):  # offered the next free slots until one is free
                        slot = scheduling.free_slots(session, datetime(2030, 1, 1, tzinfo=timezone.utc), 1)[0]
                        try:
                            scheduling.book_slot(session, conversation, slot.id, now=AT)
                            outcomes[conversation] = slot.id
                            break
                        except scheduling.SlotTaken:
                            continue
                session.commit()  # the boundary commits (the store functions never do)
        except Exception as exc:  # any other error fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=person, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert list(outcomes.values()).count(first) == 1
    assert len(outcomes) == 20 and len(set(outcomes.values())) == 20
    with db.session(url) as session:
        found = dossiers.list_dossiers(session)
        assert sorted(d.conversation_id for d in found) == sorted(f"conc-{i}" for i in range(20))
        assert all(len([a for a in d.appointments if a.status == "confirme"]) == 1 for d in found)


def test_callback_with_deadline(url):
    with db.session(url) as session:
        scheduling.request_callback(session, "conv-c", "le matin", date(2030, 2, 1), now=AT)
        session.commit()
        [dossier] = dossiers.list_dossiers(session)
        assert dossiers.dossier_as_dict(dossier, now=AT)["callback"] == {"preferred_moment": "le matin", "deadline": "2030-02-01"}


def test_transcript_is_empty_before_rasa_created_its_table(url):
    with db.session(url) as session:
        assert conversations.transcript(session, "nobody") == []


def test_summary_is_derived_from_the_dossier(url):
    with db.session(url) as session:
        dossiers.record_need(session, "conv-s", "presence_en_ligne", 0.9, now=AT)
        dossiers.confirm_latest_need(session, "conv-s", True, now=AT)
        dossiers.record_answer(session, "conv-s", "presence_en_ligne", "technique", ["fiche_etablissement"], ["cci"], now=AT)
        dossiers.record_answered(session, "conv-s", False, now=AT)
        scheduling.request_callback(session, "conv-s", "le matin", date(2030, 2, 1), now=AT)
        session.commit()
        text = dossiers.dossier_as_dict(dossiers.by_conversation(session, "conv-s"), now=AT)["summary"]
    lines = text.splitlines()
    assert "Besoin : Être plus visible en ligne, confirmé par la personne" in lines
    assert "La réponse a-t-elle aidé : non, « Pas vraiment »" in lines
    assert "Structures présentées à la personne : Chambre de commerce et d'industrie (CCI)" in lines
    assert "À rappeler : le matin, avant le vendredi 1er février" in lines  # read on 7 January 2030: the year goes without saying
    assert "Maturité numérique de l'entreprise : non évaluée" in lines  # no questionnaire: not « Premiers pas »
    assert not {"presence_en_ligne", "cci", "UTC"} & set(text.replace(",", " ").split())


def test_erasing_a_conversation_removes_its_dossier_and_frees_its_slot(url):
    starts = datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc)
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Awa Diallo", "awa@example.org", now=AT)
        scheduling.open_slots(session, mediator, [starts], 45)
        slot = scheduling.free_slots(session, after=starts - timedelta(days=1))[0]
        dossiers.record_need(session, "to-erase", "presence_en_ligne", 0.9, now=AT)
        dossiers.record_contact(session, "to-erase", "Camille", None, "06 12 34 56 78", AT, now=AT)
        scheduling.book_slot(session, "to-erase", slot.id, now=AT)
        scheduling.request_callback(session, "to-erase", "le matin", None, now=AT)
        dossiers.record_need(session, "to-keep", "former_salaries", 0.8, now=AT)
        session.commit()
    with db.session(url) as session:
        conversations.erase(session, "to-erase")  # the events table does not exist yet: no error
        session.commit()
    with db.session(url) as session:
        assert [d.conversation_id for d in dossiers.list_dossiers(session)] == ["to-keep"]
        assert [s.id for s in scheduling.free_slots(session, after=starts - timedelta(days=1))] == [slot.id]
        assert not conversations.exists(session, "to-erase") and conversations.exists(session, "to-keep")


def test_every_console_edit_dates_the_dossier_with_the_callers_moment(url):
    """`updated_at` (the dossiers' order, the retention's last activity) is the moment each caller
    gives, never the real clock: claim, note, status, release, expired lease, closing, erasure."""
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        dossier = dossiers.record_need(session, "conv-t", "presence_en_ligne", 0.9, now=AT).dossier
        session.commit()
        steps = [
            lambda at: casework.claim(session, dossier.id, mediator.id, 30, now=at),
            lambda at: casework.add_note(session, dossier, mediator.id, "Appelée", 30, now=at),
            lambda at: casework.change_status(session, dossier, mediator.id, DossierStatus.NEW, 30, now=at),
            lambda at: casework.claim(session, dossier.id, mediator.id, 30, now=at),
            lambda at: casework.release(session, dossier, mediator.id, now=at),
            lambda at: casework.claim(session, dossier.id, mediator.id, 30, now=at),
            lambda at: casework.release_expired(session, now=at + timedelta(hours=1)),
            lambda at: casework.claim(session, dossier.id, mediator.id, 30, now=at),
            lambda at: casework.close(session, dossier, mediator.id, "Rappelée", True, None, now=at),
            lambda at: retention.anonymise(session, dossier, "effacement", mediator.id, "test", now=at),
        ]
        for day, step in enumerate(steps, start=1):
            at = AT + timedelta(minutes=day)
            step(at)
            session.commit()
            session.refresh(dossier)
            expected = at + timedelta(hours=1) if step is steps[6] else at
            assert dossier.updated_at == expected, day
