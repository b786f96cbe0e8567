"""The queue (/mediateurs/file) reads what it shows, urgency included, in a fixed number of queries:
twenty dossiers cost the database no more than two (no query per dossier, « N+1 »).

Each dossier has its conversation in Rasa's `events` table (tests/support/rasa_events.py), some a
call back due within the week, an appointment, a person waiting live: all that the queue and its
urgency flag read."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

from sqlalchemy import event

from bot import clock
from bot.store import accounts, conversations, db, dossiers, live, scheduling
from tests.support import rasa_events
from tests.support.clock import AT
from tests.support.console_client import Console, make_account

PENALTY = "J'ai reçu une mise en demeure avec une majoration, je ne sais pas quoi faire"
CALM = "Je voudrais que mes clients trouvent ma boulangerie sur internet"


def add_dossiers(url: str, first: int, count: int) -> dict[int, str]:
    """`count` dossiers waiting for a person: {dossier id: why it must be urgent, "" if not}."""
    expected = {}
    with db.session(url) as session:
        if not conversations.rasa_events_exist(session):
            rasa_events.create_events_table(session)
        mediator = accounts.mediator_by_email(session, "queue@example.org") or accounts.add_mediator(
            session, "Camille Martin", "queue@example.org", now=AT
        )
        for i in range(first, first + count):  # the first two already have every kind of row the queue reads
            sender = f"queue-{i}-{uuid.uuid4().hex[:8]}"
            said = PENALTY if i % 3 == 1 else CALM
            rasa_events.add_event(session, sender, "user", AT.timestamp() + i, {"event": "user", "text": said})
            dossiers.record_need(session, sender, "presence_en_ligne", 0.8, now=AT)
            dossiers.record_answered(session, sender, False, now=AT)  # « Pas vraiment »: it waits for a person
            why = "pénalité" if i % 3 == 1 else ""
            if i % 2 == 0:  # an appointment next month
                start = AT + timedelta(days=30, hours=i)
                scheduling.open_slots(session, mediator, [start], 45)
                slot = next(s for s in mediator.slots if s.starts_at == start)
                scheduling.book_slot(session, sender, slot.id, now=AT)
            if i % 4 == 1:  # a call back to make within two days
                scheduling.request_callback(session, sender, "le matin", (AT + timedelta(days=2)).date(), now=AT)
                why += "échéance"
            if i % 3 == 0:  # waiting in the live chat
                live.request(session, sender, now=AT)
            session.flush()
            expected[dossiers.by_conversation(session, sender).id] = why
        session.commit()
    return expected


def queue_page(web, console: Console) -> tuple[str, int]:
    """The queue page's HTML and how many SQL statements the app ran to answer it."""
    statements = []

    def count(*_args) -> None:
        statements.append(1)

    engine = db.engine_for(web.database_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = console.get("/file").text
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return page, len(statements)


def flagged(page: str) -> dict[int, str]:
    """{dossier id: its row's urgency reasons, "" when not flagged}."""
    rows = {}
    for row in page.split("<tr")[1:]:
        found = re.search(r"/dossiers/(\d+)", row)
        if found:
            urgent = re.search(r'<strong class="urgent">Urgent</strong> : ([^·<]*)', row)
            rows[int(found.group(1))] = html.unescape(urgent.group(1)) if urgent else ""
    return rows


def test_the_queue_reads_twenty_dossiers_in_as_many_queries_as_two(web, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: AT)  # the app's one clock: deadlines and leases read on AT
    console = Console(web)
    console.login(make_account(web))
    expected = add_dossiers(web.database_url, 0, 2)
    page, with_two = queue_page(web, console)
    assert set(expected) <= set(flagged(page))
    expected |= add_dossiers(web.database_url, 2, 18)
    page, with_twenty = queue_page(web, console)
    shown = flagged(page)
    assert len(expected) == 20 and set(expected) <= set(shown)
    # the urgency flags are those the dossiers call for: a penalty written, a call back due in two days
    for dossier_id, why in expected.items():
        assert ("pénalité ou sanction évoquée" in shown[dossier_id]) == ("pénalité" in why), (dossier_id, shown[dossier_id])
        assert ("échéance" in shown[dossier_id]) == ("échéance" in why), (dossier_id, shown[dossier_id])
    assert with_twenty == with_two, f"{with_two} queries for 2 dossiers, {with_twenty} for 20"
