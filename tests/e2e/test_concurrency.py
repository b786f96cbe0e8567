"""Fifty people at once go through the whole accompaniment to an appointment or a call back,
on PostgreSQL: every dossier stored exactly once, no slot booked twice, no error.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select

from bot.store import db
from bot.store.tables import Appointment, Callback, Dossier, DossierNeed
from tests.support.servers import Chat


@pytest.fixture(scope="module")
def servers(model, tmp_path_factory):
    """Servers of their own on PostgreSQL, without the rate limits (bot/rate_limits.py): these people
    would each come from their own address, not all from 127.0.0.1, and type slower than a script."""
    from tests.support.servers import servers_on_postgresql

    with servers_on_postgresql(
        model,
        tmp_path_factory.mktemp("crowd"),
        client_messages_per_minute=0,
        client_handovers_per_hour=0,
        conversation_messages_per_minute=0,
    ) as (settings, _):
        yield settings


PEOPLE = 50
NEEDS = [
    "je voudrais que mes clients me trouvent sur internet",
    "jarrive pas a declarer mon chiffre d affaires sur le site urssaf",
    "je voudrais former mes deux salaries a l informatique",
    "comment reconnaitre un mail frauduleux",
    "je cherche un logiciel pour faire mes devis et factures",
]


def accompany(chat: Chat, index: int) -> str:
    """One whole conversation; returns what was obtained (an appointment reference or 'rappel')."""
    chat.say("bonjour")
    chat.say(NEEDS[index % len(NEEDS)])
    chat.say("oui")  # the reformulation is right
    chat.say("non")  # no questions
    chat.say("pas vraiment")  # the answer is not enough
    chat.say("passer")  # « Qu'est-ce qui vous manque ? »
    chat.say("oui")  # yes, a person
    if index % 2:
        chat.say('/ask_human{"mode_contact": "rappel"}')
        chat.say("oui")
        chat.say(f"Personne {index}")
        chat.say(f"06 12 34 {index // 10}{index % 10} 00")
        chat.say("le matin")
        text = chat.texts(chat.say("non"))
        assert "vous rappellera" in text, text
        return "rappel"
    chat.say('/ask_human{"mode_contact": "rendez_vous"}')
    chat.say("oui")
    chat.say(f"Personne {index}")
    replies = chat.say(f"personne{index}@example.org")
    for _ in range(30):
        text = chat.texts(replies)
        if "C'est réservé" in text:
            return re.search(r"RDV-[A-Z0-9]{6}", text).group(0)
        buttons = chat.buttons(replies)
        assert buttons, text
        replies = chat.say(buttons[0]["payload"])  # the first slot offered now
    raise AssertionError("no slot could be booked")


def test_fifty_simultaneous_conversations_to_a_booking_or_a_call_back(servers):
    people = [Chat(servers) for _ in range(PEOPLE)]
    results, errors = {}, []
    barrier = threading.Barrier(PEOPLE)

    def run(index: int, chat: Chat) -> None:
        try:
            barrier.wait()
            results[chat.sender] = accompany(chat, index)
        except Exception as exc:  # counted below
            errors.append(f"{chat.sender}: {exc!r}")

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    elapsed = time.monotonic() - started
    print(f"\n{PEOPLE} conversations, {sum(16 if i % 2 else 12 for i in range(PEOPLE))}+ messages in {elapsed:.0f} s")

    assert errors == []
    assert len(results) == PEOPLE
    references = [r for r in results.values() if r != "rappel"]
    assert len(references) == PEOPLE // 2 and len(set(references)) == len(references)
    senders = [c.sender for c in people]
    with db.session(servers.database_url) as session:
        per_conversation = dict(
            session.execute(
                select(Dossier.conversation_id, func.count())
                .where(Dossier.conversation_id.in_(senders))
                .group_by(Dossier.conversation_id)
            ).all()
        )
        booked_slots = (
            session.execute(
                select(Appointment.slot_id)
                .join(Dossier)
                .where(Dossier.conversation_id.in_(senders), Appointment.status == "confirme")
            )
            .scalars()
            .all()
        )
        callbacks = session.execute(
            select(func.count()).select_from(Callback).join(Dossier).where(Dossier.conversation_id.in_(senders))
        ).scalar()
    assert per_conversation == {s: 1 for s in senders}  # every dossier exactly once
    assert len(booked_slots) == PEOPLE // 2 and len(set(booked_slots)) == len(booked_slots)  # no slot twice
    assert callbacks == PEOPLE // 2


HOLD_SECONDS = 6.0


def test_a_held_database_write_does_not_stall_other_conversations(servers):
    """One person's dossier row is locked for HOLD_SECONDS (a slow database for them alone); the
    others go on talking meanwhile. Figures, not a timed pass/fail: the answers must all come, and
    the held person's must come after the lock, not be lost. docs/reliability.md has the figures."""
    import sqlalchemy as sa

    held = Chat(servers)
    held.say("je voudrais que mes clients me trouvent sur internet")  # creates the dossier row to lock
    others = [Chat(servers) for _ in range(3)]
    engine = sa.create_engine(servers.database_url, future=True)
    held_result: dict = {}
    latencies: list[float] = []
    try:
        with engine.connect() as locker:
            locker.begin()
            locker.execute(sa.text("SELECT id FROM dossiers WHERE conversation_id = :c FOR UPDATE"), {"c": held.sender})
            locked_at = time.monotonic()

            def held_says_yes():
                started = time.monotonic()
                held_result["text"] = held.texts(held.say("oui"))  # confirm_latest_need: waits for the lock
                held_result["seconds"] = time.monotonic() - started

            thread = threading.Thread(target=held_says_yes)
            thread.start()
            time.sleep(0.5)  # its action is now waiting on the lock
            for message in ("bonjour", "je cherche un logiciel pour faire mes devis et factures", "oui"):
                for chat in others:
                    started = time.monotonic()
                    assert chat.texts(chat.say(message))
                    latencies.append(time.monotonic() - started)
            others_done = time.monotonic() - locked_at
            time.sleep(max(0.0, HOLD_SECONDS - (time.monotonic() - locked_at)))
            locker.rollback()  # the database answers again
        thread.join(timeout=120)
    finally:
        engine.dispose()
    latencies.sort()
    print(
        f"\nheld write: the held person's answer after {held_result.get('seconds', float('nan')):.1f} s "
        f"(lock held {HOLD_SECONDS:.0f} s); {len(latencies)} other answers meanwhile, all within "
        f"{others_done:.1f} s of the lock: median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    assert "questions courtes" in held_result["text"]  # answered once the lock went, nothing lost
    with db.session(servers.database_url) as session:
        confirmed = (
            session.execute(select(DossierNeed.confirmed).join(Dossier).where(Dossier.conversation_id == held.sender))
            .scalars()
            .all()
        )
    assert confirmed == [True]
