"""Rasa's SQL tracker store with lighter reads and writes (named in endpoints.yml).

Same tables, same rows, same order as Rasa 3.6's `SQLTrackerStore`; what changes is the work
done around them. For every message Rasa loaded each stored event of the conversation as an ORM
object only to read its JSON column, then counted the stored events again before writing, to
know which events are new, and added those one ORM object at a time. Under `make bench` this was
a quarter of the Rasa server's CPU. Here the JSON column is read alone; a conversation read or
written by this store remembers how many of its events are stored, so the count is asked only
for a conversation the store has not seen in this process; the new events go in one INSERT.

The database work runs in a worker thread (`asyncio.to_thread`): on the event loop, each commit's
fsync and each read stopped every other conversation of this Rasa server (a tenth of the loop's
time under `make profile`); in a thread only the conversation that waits for it waits.

A conversation the store just found empty (its first message, read under its lock) has nothing
stored when Rasa saves the tracker it then creates: that first save does not count the stored
events either (one SELECT less per conversation).

The three statements (read, count, insert) are built once per store: SQLAlchemy computes a
statement's cache key each time a new one is built (Rasa builds its ORM query per read), which cost
about as much as the read itself (0.8 ms of CPU a read on a 120-event conversation).

Why remembering the count is safe: Rasa reads, changes and saves a conversation while holding
its lock (the lock store, shared by every Rasa server), so nothing else adds events in between.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

STORED = "_stored_event_count"  # set on the tracker objects this store reads and writes
MAX_REMEMBERED_EMPTY = 10_000


class LeanSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every Rasa command that reads our endpoints files (`rasa run`, `rasa shell`, `bot run`)
        # creates this store first: the patches of Rasa's internals go in place here, before Rasa
        # makes the database engine and the message processor (the channels install them too).
        from bot import rasa_extensions

        rasa_extensions.install()
        super().__init__(*args, **kwargs)
        self._empty_senders: set[str] = set()  # read and found empty just now
        self._read_latest_session, self._read_all_sessions, self._count_latest_session = _statements(self.SQLEvent)
        self._insert = sa.insert(self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        events = await asyncio.to_thread(self._stored_events, sender_id, fetch_events_from_all_sessions)
        if events:
            self._empty_senders.discard(sender_id)
        else:
            if len(self._empty_senders) >= MAX_REMEMBERED_EMPTY:  # reads of ids never created (HTTP API)
                self._empty_senders.clear()  # forgotten: their first save counts, as before
            self._empty_senders.add(sender_id)
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:  # the events Rasa's save counts: since the last session start
            setattr(tracker, STORED, len(events))
        return tracker

    def _stored_events(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> list[dict]:
        statement = self._read_all_sessions if fetch_events_from_all_sessions else self._read_latest_session
        with self.session_scope() as session:
            return [json.loads(data) for (data,) in session.execute(statement, {"sender_id": sender_id})]

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        # the conversation's lock is held: nothing changes this tracker while the thread writes it
        await asyncio.to_thread(self._store_new_events, tracker)

    def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            stored = getattr(tracker, STORED, None)
            if stored is None and tracker.sender_id in self._empty_senders:
                stored = 0  # read just before, under the conversation's lock, and found empty
            if stored is None:
                stored = self.stored_event_count(session, tracker.sender_id)
            new_events = list(itertools.islice(tracker.events, stored, None))
            if new_events:
                rows = [self._row(tracker.sender_id, event.as_dict(), event.type_name) for event in new_events]
                session.execute(self._insert, rows)
                session.commit()
        setattr(tracker, STORED, len(tracker.events))
        self._empty_senders.discard(tracker.sender_id)

    def stored_event_count(self, session: sa.orm.Session, sender_id: Text) -> int:
        """Events stored since the conversation's latest session start (what Rasa's save counts)."""
        return session.execute(self._count_latest_session, {"sender_id": sender_id}).scalar() or 0

    @staticmethod
    def _row(sender_id: Text, data: Dict[Text, Any], type_name: Text) -> Dict[Text, Any]:
        return {
            "sender_id": sender_id,
            "type_name": type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def _statements(event: Any) -> tuple[sa.sql.Select, sa.sql.Select, sa.sql.Select]:
    """Rasa 3.6's `SQLTrackerStore._event_query`, as statements with the sender as a parameter:
    the conversation's events (by id) since its latest session start, or all of them; the count."""
    sender = sa.bindparam("sender_id")
    session_start = (
        sa.select(sa.func.max(event.timestamp))
        .where(event.sender_id == sender, event.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    since_session_start = sa.or_(event.timestamp >= session_start, session_start.is_(None))
    read_all = sa.select(event.data).where(event.sender_id == sender).order_by(event.id)
    read_latest = read_all.where(since_session_start)
    count_latest = sa.select(sa.func.count(event.id)).where(event.sender_id == sender, since_session_start)
    return read_latest, read_all, count_latest
