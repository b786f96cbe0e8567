"""Make Rasa's SQL tracker store survive a database restart.

Rasa 3.6 creates its engine without `pool_pre_ping`: after PostgreSQL restarts (or drops the
connections), the first read of a conversation fails on a dead pooled connection and Rasa starts
that conversation over as if it were new. Pinging a connection before use (SQLAlchemy's
documented remedy for disconnects) avoids it. Installed by our channels, which Rasa loads before
it creates the tracker store.
"""
from __future__ import annotations

import rasa.core.tracker_store as tracker_store

_original = tracker_store.create_engine_kwargs


def _with_pre_ping(url):
    kwargs = _original(url)
    if tracker_store.is_postgresql_url(url):
        kwargs["pool_pre_ping"] = True
    return kwargs


def install() -> None:
    """Idempotent: our channels call it when Rasa loads them."""
    if tracker_store.create_engine_kwargs is not _with_pre_ping:
        tracker_store.create_engine_kwargs = _with_pre_ping
