"""Two fixes to how Rasa 3.6 connects its SQL tracker store to the database.

- PostgreSQL: Rasa creates its engine without `pool_pre_ping`: after PostgreSQL restarts (or
  drops the connections), the first read of a conversation fails on a dead pooled connection and
  Rasa starts that conversation over as if it were new. Pinging a connection before use
  (SQLAlchemy's documented remedy for disconnects) avoids it.
- SQLite (the embedded default): SQLAlchemy 1.4 opens and closes a new connection to a SQLite
  file for every read and every write of a conversation (NullPool). Keeping a few connections
  open (QueuePool, SQLAlchemy 2.0's default for SQLite files) saves that work on every message.

Installed by our channels, which Rasa loads before it creates the tracker store.
"""

from __future__ import annotations

import rasa.core.tracker_store as tracker_store
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

_original = tracker_store.create_engine_kwargs


def _engine_kwargs(url):
    kwargs = _original(url)
    if tracker_store.is_postgresql_url(url):
        kwargs["pool_pre_ping"] = True
    elif _is_sqlite_file(url):
        # a pooled connection may be handed to another thread than the one that opened it
        kwargs.update(poolclass=QueuePool, connect_args={"check_same_thread": False})
    return kwargs


def _is_sqlite_file(url) -> bool:
    url = make_url(url)
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def install() -> None:
    """Idempotent: our channels call it when Rasa loads them."""
    if tracker_store.create_engine_kwargs is not _engine_kwargs:
        tracker_store.create_engine_kwargs = _engine_kwargs
