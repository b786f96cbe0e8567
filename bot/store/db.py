"""Engines and sessions for the embedded SQLite default or PostgreSQL (DATABASE_URL).

The transaction rule (issue 18): the functions of bot/store never commit nor roll back; the
boundary that opened the session (a route, an action, a CLI command, a job) commits. A race the
database settles (a unique index, an insert that may collide) runs in a savepoint
(`session.begin_nested()`), so a lost race rolls back only that statement, never the caller's
other writes.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, **_sqlite_pool(url))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: sqlite3.Connection, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_begin_before_savepoint(connection: Connection, _name: str | None) -> None:
            # pysqlite emits BEGIN only before an INSERT/UPDATE/DELETE: a SAVEPOINT issued first
            # would open the transaction itself, and releasing it would COMMIT everything the
            # session wrote. Open the real transaction first, so a savepoint always nests in it.
            dbapi_connection = connection.connection.dbapi_connection
            if not dbapi_connection.in_transaction:
                dbapi_connection.execute("BEGIN")

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def _sqlite_pool(url: str) -> dict[str, Any]:
    """A SQLite file keeps a few connections open (SQLAlchemy 1.4 opened a new one, with its three
    PRAGMAs, for every session: 0.65 ms of CPU each, for every dossier write of the action server and
    every message of the website channel). Beyond `pool_size` at once, connections open and close as
    before: a session never waits for one. A connection may be handed to another thread than the one
    that opened it, never to two at once. In memory: SQLAlchemy's own pool (one database per thread)."""
    if make_url(url).database in (None, "", ":memory:"):
        return {"connect_args": {"timeout": 30}}
    return {
        "connect_args": {"timeout": 30, "check_same_thread": False},
        "poolclass": QueuePool,
        "pool_size": 5,
        "max_overflow": -1,
    }


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(engine_for(url), future=True, expire_on_commit=False)


def session(url: str) -> Session:
    return session_factory(url)()
