"""Conversations that were erased, so that nothing recreates them (tombstones).

An erasure anonymises the conversation's dossier, and an anonymised row stops later writes
(bot/store/spool.py). A conversation erased before its first dossier write reached the database
has no row, though: a write of it kept in another machine's spool (the web app drops only its own
machine's) would create the dossier afresh when replayed. Every erasure therefore remembers the
conversation here — « Effacer ma conversation », a mediator's erasure, the retention purge of a
conversation without a dossier — and no dossier is created for a remembered conversation
(`dossiers.get_or_create_dossier`, `spool.apply`).

Only a keyed hash of the id is stored (HMAC-SHA256 with CONVERSATION_SECRET, which every server
of a deployment shares): the table says nothing about who talked, and an id cannot be confirmed
as erased without the secret. A tombstone is forgotten after the retention period
(bot/store/retention.py: purge), by when no spooled write of it can be left.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import settings
from bot.store import errors
from bot.store.tables import ErasedConversation


class ConversationErased(errors.Refused, ValueError):
    """A dossier write for a conversation that was erased: refused, nothing written."""


def conversation_key(conversation_id: str, secret: str | None = None) -> str:
    secret = settings.current().conversation_secret if secret is None else secret
    return hmac.new(secret.encode(), b"erased:" + conversation_id.encode(), hashlib.sha256).hexdigest()


def remember(session: Session, conversation_id: str, *, now: datetime) -> None:
    """Remember that the conversation was erased (again: the first date stays)."""
    key = conversation_key(conversation_id)
    if session.get(ErasedConversation, key) is not None:
        return
    try:
        with session.begin_nested():  # erased twice at once: the primary key settles it
            session.add(ErasedConversation(conversation_key=key, erased_at=now))
    except IntegrityError:
        pass


def was_erased(session: Session, conversation_id: str) -> bool:
    key = conversation_key(conversation_id)
    found = session.execute(select(ErasedConversation.erased_at).where(ErasedConversation.conversation_key == key))
    return found.first() is not None


def forget_before(session: Session, cutoff: datetime) -> int:
    """Forget the tombstones older than `cutoff` (the retention period); how many."""
    result = session.execute(
        delete(ErasedConversation).where(ErasedConversation.erased_at < cutoff).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
