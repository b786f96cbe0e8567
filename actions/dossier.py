"""The actions' access to the handover record.

A storage failure never breaks the conversation, and never loses a write: `record` retries a
refused write a few times, then keeps it in the durable spool (bot/store/spool.py), which is
replayed before the next write once the database answers again. Reads (free slots) go through
`read`, which returns None when the database fails, so that the action can give the honest
« souci technique » answer instead of breaking the conversation.

The action server runs every action in a worker thread (bot/rasa_extensions/action_server.py), so the database
calls and the retry waits here never hold up other conversations.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Callable, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import clock, log_redaction, settings
from bot.store import db
from bot.store.dossier_writes import DossierWrite
from bot.store.spool import Spool, write_now

logger = logging.getLogger(__name__)
RETRY_DELAYS = (0.2, 0.5, 1.0)  # seconds between attempts, about 2 s in all before spooling
T = TypeVar("T")


def read(query: Callable[[Session], T]) -> T | None:
    """`query(session)`'s result, or None when the database fails (logged): the caller then says so."""
    try:
        with db.session(settings.current().database_url) as session:
            return query(session)
    except SQLAlchemyError:
        logger.exception("could not read the store")
        return None


def _spool() -> Spool:
    return Spool(settings.current().var_dir)


def _write_once(conversation_id: str, writes: list[DossierWrite], now: datetime) -> bool:
    return write_now(settings.current().database_url, conversation_id, writes, now)


def record(conversation_id: str, *writes: DossierWrite) -> bool:
    """Write to the dossier: `record(id, RecordNeed(intent, confidence), …)`, the writes
    (bot/store/dossier_writes.py) together in one transaction.

    Returns True when written now, False when kept in the spool for later. The writes are made at
    the clock's moment (bot/clock.py), taken once here, the actions' boundary.
    """
    now = clock.now()
    spool = _spool()
    if spool.pending():
        spool.replay(_write_once, now)  # earlier writes first, so the dossier's history stays in order
    if not spool.pending():
        for delay in (0.0, *RETRY_DELAYS):
            time.sleep(delay)
            if _write_once(conversation_id, list(writes), now):
                return True
    spool.append(conversation_id, list(writes), now)
    logger.error("dossier write for %s kept in the spool %s", log_redaction.escape_for_log(conversation_id), spool.path)
    return False
