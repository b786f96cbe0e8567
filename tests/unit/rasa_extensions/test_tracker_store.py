"""Our lean SQL tracker store (bot/rasa_extensions/tracker_store.py) writes and reads exactly what Rasa's own
SQLTrackerStore does, on SQLite and on PostgreSQL: the two stores can replace each other on the
same database without losing or repeating an event."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import paths
from bot.rasa_extensions.patches import tracker_store_fix
from bot.rasa_extensions.tracker_store import LeanSQLTrackerStore
from bot.settings import database_dialect
from tests.support.databases import fresh_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    url, drop = fresh_database_url(request.param, tmp_path)
    tracker_store_fix.install()
    domain = Domain.load(paths.DOMAIN)
    lean = LeanSQLTrackerStore(domain, dialect=database_dialect(url), host=url)
    rasa_store = SQLTrackerStore(domain, dialect=database_dialect(url), host=url)
    yield lean, rasa_store
    lean.engine.dispose()
    rasa_store.engine.dispose()
    drop()


def turn(text: str, intent: str) -> list:
    return [
        UserUttered(text, intent={"name": intent, "confidence": 0.9}),
        ActionExecuted("action_reformulate_need"),
        SlotSet("besoin", "presence_en_ligne"),
        ActionExecuted("action_listen"),
    ]


def play(store, sender: str, turns: list[list]) -> None:
    """As Rasa does for each message: read the conversation, add the new events, save it."""
    for events in turns:
        tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, store.domain.slots)
        for event in events:
            tracker.update(event)
        asyncio.run(store.save(tracker))


def rows(store, sender: str) -> list[tuple]:
    table = store.SQLEvent.__table__
    with store.engine.connect() as connection:
        query = (
            sa.select(table.c.type_name, table.c.intent_name, table.c.action_name, table.c.timestamp, table.c.data)
            .where(table.c.sender_id == sender)
            .order_by(table.c.id)
        )
        return [tuple(row) for row in connection.execute(query)]


def test_the_same_rows_as_rasa_and_each_reads_the_other(stores):
    lean, rasa_store = stores
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    turns = [start + turn("bonjour", "greet"), turn("je veux un site", "presence_en_ligne"), turn("oui", "affirm")]
    play(lean, "by-lean", turns)
    play(rasa_store, "by-rasa", turns)
    assert rows(lean, "by-lean") == rows(lean, "by-rasa")
    assert len(rows(lean, "by-lean")) == 3 + 3 * 4

    # like Rasa's, a read returns the latest session from its SessionStarted event on
    expected = [event.as_dict() for events in turns for event in events][1:]
    for store in (lean, rasa_store):
        for sender in ("by-lean", "by-rasa"):
            tracker = asyncio.run(store.retrieve(sender))
            assert [event.as_dict() for event in tracker.events] == expected
            assert tracker.get_slot("besoin") == "presence_en_ligne"


def test_a_new_session_and_a_tracker_read_elsewhere_store_each_event_once(stores):
    lean, rasa_store = stores
    play(lean, "someone", [turn("bonjour", "greet"), turn("oui", "affirm")])
    # a new session: the next read returns it alone; the full tracker keeps both
    play(
        lean,
        "someone",
        [[ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")] + turn("re", "greet")],
    )
    assert len(asyncio.run(lean.retrieve("someone")).events) == 2 + 4
    assert len(asyncio.run(lean.retrieve_full_tracker("someone")).events) == 8 + 7
    # a tracker this store did not read (read by Rasa's store): the store counts what is stored
    tracker = asyncio.run(rasa_store.retrieve("someone"))
    for event in turn("merci", "thank"):
        tracker.update(event)
    asyncio.run(lean.save(tracker))
    assert len(rows(lean, "someone")) == 8 + 7 + 4
    assert [r[0] for r in rows(lean, "someone")].count("session_started") == 1


def test_an_erased_conversation_is_gone(stores):
    lean, _ = stores
    play(lean, "to-erase", [turn("bonjour", "greet")])
    table = lean.SQLEvent.__table__
    with lean.engine.begin() as connection:
        connection.execute(table.delete().where(table.c.sender_id == "to-erase"))
    assert asyncio.run(lean.retrieve("to-erase")) is None


def test_a_session_restarted_then_saved_twice_stores_each_event_once(stores):
    """Rasa's own store counts the stored events from the latest SessionStarted: when a session
    restarts and the same tracker is saved twice (trigger or events API after an idle hour), its
    second save writes the old session again (18 rows here instead of 12; RasaHQ/rasa#8238 is
    the same family). Ours remembers what it stored."""
    lean, _ = stores
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    play(lean, "returns", [start + [UserUttered("a"), ActionExecuted("utter_greet"), ActionExecuted("action_listen")]])
    tracker = asyncio.run(lean.retrieve("returns"))
    for event in [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]:
        tracker.update(event)
    asyncio.run(lean.save(tracker))
    for event in [UserUttered("b"), ActionExecuted("utter_greet"), ActionExecuted("action_listen")]:
        tracker.update(event)
    asyncio.run(lean.save(tracker))
    assert len(rows(lean, "returns")) == 12


def test_a_new_conversation_is_created_and_saved_without_counting_what_is_stored(stores):
    """Its read found nothing: Rasa's new tracker has nothing stored, no count is asked. Same rows as Rasa's store."""
    lean, rasa_store = stores
    statements: list[str] = []
    sa.event.listen(lean.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))
    for store, sender in ((lean, "new-by-lean"), (rasa_store, "new-by-rasa")):
        tracker = asyncio.run(store.get_or_create_tracker(sender))  # read, empty: created and saved
        for event in turn("bonjour", "greet"):
            tracker.update(event)
        asyncio.run(store.save(tracker))
    kinds = [[row[:3] for row in rows(lean, sender)] for sender in ("new-by-lean", "new-by-rasa")]  # timestamps aside
    assert kinds[0] == kinds[1] and len(kinds[0]) == 1 + 4  # Rasa's new tracker: action_listen, then the turn
    assert not any("count(" in statement for statement in statements)
    # read empty, then written by another server (here Rasa's store): the next read finds it, nothing is forgotten
    assert asyncio.run(lean.retrieve("elsewhere")) is None
    play(rasa_store, "elsewhere", [turn("bonjour", "greet")])
    play(lean, "elsewhere", [turn("oui", "affirm")])
    assert len(rows(lean, "elsewhere")) == 8


def test_both_endpoints_files_name_this_store(tmp_path, monkeypatch):
    """Rasa falls back to an in-memory store, with a mere warning, when it cannot load the one named."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    for name, value in {
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_URL": url,
        "ACTION_ENDPOINT_URL": "http://x/webhook",
        "ACTION_SERVER_TOKEN": "t",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
        "REDIS_KEY_PREFIX": "p",
    }.items():
        monkeypatch.setenv(name, value)
    for endpoints in (paths.ROOT / "endpoints.yml", paths.ROOT / "deploy" / "endpoints.prod.yml"):
        store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty())
        assert isinstance(store, LeanSQLTrackerStore), endpoints
        store.engine.dispose()


def test_the_prebuilt_reads_and_count_return_what_rasas_query_returns(stores):
    """The store builds its three statements once (not Rasa's ORM query at each read): the latest
    session, the whole conversation and the count are Rasa's, for a conversation with no session
    start, one with two sessions, and one that does not exist."""
    lean, rasa_store = stores

    def start() -> list:
        return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]

    play(lean, "no-session", [turn("bonjour", "greet"), turn("oui", "affirm")])
    play(lean, "two-sessions", [start() + turn("bonjour", "greet"), start() + turn("re", "greet"), turn("merci", "thank")])
    for sender in ("no-session", "two-sessions", "nobody"):
        with rasa_store.session_scope() as session:
            for all_sessions in (False, True):
                expected = [e.data for e in rasa_store._event_query(session, sender, all_sessions)]
                assert [
                    r
                    for (r,) in session.execute(
                        lean._read_all_sessions if all_sessions else lean._read_latest_session, {"sender_id": sender}
                    )
                ] == expected
            assert lean.stored_event_count(session, sender) == len(rasa_store._event_query(session, sender, False).all())
    assert len(asyncio.run(lean.retrieve("two-sessions")).events) == 2 + 4 + 4
    assert len(asyncio.run(lean.retrieve_full_tracker("two-sessions")).events) == 2 * (3 + 4) + 4
