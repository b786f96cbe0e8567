"""A stand-in for Rasa's tracker store table `events` (the columns our code reads), for store tests."""

from __future__ import annotations

import itertools
import json

from sqlalchemy import text

_ids = itertools.count(1)


def create_events_table(session) -> None:
    session.execute(
        text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, data TEXT)"
        )
    )
    session.commit()


def add_event(session, sender_id: str, type_name: str, timestamp: float, data: dict) -> None:
    session.execute(
        text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES (:id, :s, :t, :ts, :d)"),
        {"id": next(_ids), "s": sender_id, "t": type_name, "ts": timestamp, "d": json.dumps(data)},
    )


def say(session, sender_id: str, *lines: tuple[str, str], start: float = 1_767_000_000.0) -> None:
    """Lines ("user" | "bot", text) of a conversation, one second apart."""
    for offset, (type_name, said) in enumerate(lines):
        add_event(session, sender_id, type_name, start + offset, {"event": type_name, "text": said})
    session.commit()


def count_events(session, sender_id: str) -> int:
    return session.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender_id}).scalar_one()
