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
from bot.store.tables import Appointment, Callback, Dossier
from tests.conftest import Chat

pytestmark = pytest.mark.parametrize("server_settings", ["postgresql"], indirect=True)

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
    chat.say("oui")  # yes, a person
    if index % 2:
        chat.say('/ask_human{"mode_contact": "rappel"}')
        chat.say("oui")
        chat.say(f"Personne {index}")
        chat.say(f"06 12 34 {index // 10}{index % 10} 00")
        chat.say("le matin")
        text = chat.texts(chat.say("non"))
        assert "vous recontactera" in text, text
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
        per_conversation = dict(session.execute(
            select(Dossier.conversation_id, func.count()).where(Dossier.conversation_id.in_(senders))
            .group_by(Dossier.conversation_id)
        ).all())
        booked_slots = session.execute(
            select(Appointment.slot_id).join(Dossier).where(Dossier.conversation_id.in_(senders),
                                                             Appointment.status == "confirme")
        ).scalars().all()
        callbacks = session.execute(
            select(func.count()).select_from(Callback).join(Dossier).where(Dossier.conversation_id.in_(senders))
        ).scalar()
    assert per_conversation == {s: 1 for s in senders}  # every dossier exactly once
    assert len(booked_slots) == PEOPLE // 2 and len(set(booked_slots)) == len(booked_slots)  # no slot twice
    assert callbacks == PEOPLE // 2
