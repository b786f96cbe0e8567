"""A conversation as Rasa's tracker store keeps it (table `events`, same database as the dossiers):
the transcript for mediators, the history for the website chat, and erasure on request.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.store.tables import Appointment, Callback, Dossier, DossierNeed


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    speaker: str  # "personne" | "assistant"
    text: str
    buttons: tuple[dict[str, str], ...] = ()


def _said_events(session: Session, conversation_id: str) -> list[tuple[str, float, dict]]:
    try:
        rows = session.execute(
            text(
                "SELECT type_name, timestamp, data FROM events "
                "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
            ),
            {"sender": conversation_id},
        ).all()
    except (OperationalError, ProgrammingError):  # Rasa has not created its table yet
        session.rollback()
        return []
    return [(type_name, float(timestamp), json.loads(data) if data else {}) for type_name, timestamp, data in rows]


def _user_text(event: dict[str, Any]) -> str:
    """What the person saw themself say: a clicked button's title rather than its payload."""
    said = event.get("text") or ""
    display = (event.get("metadata") or {}).get("display")
    return display if said.startswith("/") and isinstance(display, str) and display else said


def transcript(session: Session, conversation_id: str) -> list[TranscriptLine]:
    """What the person and the assistant said, in order."""
    lines = []
    for type_name, timestamp, event in _said_events(session, conversation_id):
        at = datetime.fromtimestamp(timestamp, tz=timezone.utc)
        if type_name == "user":
            lines.append(TranscriptLine(at, "personne", _user_text(event)))
        else:
            buttons = tuple(
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in (event.get("data") or {}).get("buttons") or []
            )
            lines.append(TranscriptLine(at, "assistant", event.get("text") or "", buttons))
    return lines


def exists(session: Session, conversation_id: str) -> bool:
    return bool(_said_events(session, conversation_id)) or session.execute(
        select(Dossier.id).where(Dossier.conversation_id == conversation_id)
    ).first() is not None


def erase(session: Session, conversation_id: str) -> None:
    """Forget a conversation: Rasa's events and the dossier (its appointment slot is freed)."""
    dossier_ids = session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation_id)).scalars().all()
    if dossier_ids:
        for table in (DossierNeed, Appointment, Callback, Dossier):
            key = table.id if table is Dossier else table.dossier_id
            session.execute(delete(table).where(key.in_(dossier_ids)).execution_options(synchronize_session=False))
    try:
        with session.begin_nested():
            session.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id})
    except (OperationalError, ProgrammingError):  # Rasa has not created its table yet
        pass
