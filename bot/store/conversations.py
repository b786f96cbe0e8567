"""A conversation as Rasa's tracker store keeps it (table `events`, same database as the dossiers):
the transcript for mediators, the history for the website chat, and erasure on request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from sqlalchemy import bindparam, delete, inspect, select, text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from bot.store.tables import Appointment, Callback, Dossier, DossierNeed, LiveChat

CHUNK = 500  # conversations per query: far below SQLite's limit on bound parameters


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    speaker: str  # "personne" | "assistant" | "mediateur" (live part) | "info" (live part starts/ends)
    text: str
    buttons: tuple[dict[str, str], ...] = ()
    author: str = ""  # the mediator's first name, for their messages
    event_id: int = 0  # position in Rasa's event table: what a live view has already shown
    # a person's line: "" typed text; "button" the title of an offered button whose payload they
    # sent; "payload" a payload that no offered button had, shown as sent (never a title the
    # client chose)
    sent: str = ""


def rasa_events_exist(session: Session) -> bool:
    """Whether Rasa has created its table `events` yet (at its first start). Asked, not tried: a
    failed SELECT aborts a PostgreSQL transaction, and a savepoint around it would open the SQLite
    transaction before the caller's first write, whose snapshot could then be stale (« database is
    locked » at once, not after the busy timeout)."""
    return inspect(session.connection()).has_table("events")


def _said_events(session: Session, conversation_id: str) -> list[tuple[int, str, float, dict]]:
    """The conversation's user and bot events (id, type, timestamp, data), in order."""
    return _said_events_of(session, [conversation_id])[conversation_id]


def _said_events_of(session: Session, conversation_ids: Sequence[str]) -> dict[str, list[tuple[int, str, float, dict]]]:
    """{conversation id: `_said_events`} for several conversations, one query per CHUNK of them."""
    said: dict[str, list[tuple[int, str, float, dict]]] = {conversation_id: [] for conversation_id in conversation_ids}
    if not said or not rasa_events_exist(session):
        return said
    query = text(
        "SELECT sender_id, id, type_name, timestamp, data FROM events "
        "WHERE sender_id IN :senders AND type_name IN ('user', 'bot') ORDER BY id"
    ).bindparams(bindparam("senders", expanding=True))
    senders = list(said)
    for start in range(0, len(senders), CHUNK):
        for sender, event_id, type_name, timestamp, data in session.execute(query, {"senders": senders[start : start + CHUNK]}):
            said[sender].append((event_id, type_name, float(timestamp), json.loads(data) if data else {}))
    return said


def _dict_or_empty(value: Any) -> dict[str, Any]:
    """A JSON object of an event, or {} when that part is missing or not an object."""
    return value if isinstance(value, dict) else {}


def is_external(event: dict[str, Any]) -> bool:
    """A user event Rasa made for its HTTP API's `trigger_intent` (the web app resuming the
    assistant after a live part), not something the person said. Told by what only Rasa sets
    (`UserUttered.create_external`): `is_external` in the metadata and an `EXTERNAL_…` intent,
    never by the text: a person may write « EXTERNAL: … » too, and is shown saying it (a message's
    metadata comes from our channels; the typed-payload patch reads `/EXTERNAL_…` as plain text,
    so a person's message never has that intent)."""
    metadata = _dict_or_empty(event.get("metadata"))
    parse_data = _dict_or_empty(event.get("parse_data"))
    intent = _dict_or_empty(parse_data.get("intent"))
    name = intent.get("name")
    return metadata.get("is_external") is True and isinstance(name, str) and name.startswith("EXTERNAL_")


def _user_said(event: dict[str, Any], offered: tuple[dict[str, str], ...]) -> tuple[str, str]:
    """What the person sent, as the mediator reads it, and how (TranscriptLine.sent): a payload
    becomes the title of the button the assistant offered with that payload (the buttons of its
    messages since the person's previous one, as the typed-payload patch reads them); a payload
    no offered button had is shown as it was sent. A title the client sends along (the
    channel's `display` metadata) is never shown: a client could label « /deny » « Oui »."""
    said = event.get("text") or ""
    if not said.strip().startswith("/"):
        return said, ""
    button = next((b for b in reversed(offered) if b["payload"].strip() == said.strip()), None)
    if button is None:
        return said, "payload"
    return button["title"] or button["payload"], "button"


def _bot_line(event_id: int, at: datetime, event: dict[str, Any]) -> TranscriptLine:
    data = event.get("data") or {}
    custom = _dict_or_empty(data.get("custom"))
    live = custom.get("live") if isinstance(custom.get("live"), dict) else None
    said = event.get("text") or ""
    if live is not None and live.get("role") == "mediator":
        return TranscriptLine(at, "mediateur", said, author=str(live.get("name") or ""), event_id=event_id)
    if live is not None and live.get("role") == "notice":
        return TranscriptLine(at, "info", said, event_id=event_id)
    buttons = tuple({"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in data.get("buttons") or [])
    return TranscriptLine(at, "assistant", said, buttons, event_id=event_id)


def transcript(session: Session, conversation_id: str, after_id: int = 0) -> list[TranscriptLine]:
    """What the person, the assistant and any mediator said, in order (after event `after_id`;
    the events before it are still read, for the buttons offered just before)."""
    return _lines(_said_events(session, conversation_id), after_id)


def transcripts(session: Session, conversation_ids: Sequence[str]) -> dict[str, list[TranscriptLine]]:
    """`transcript` of each of these conversations, read together (the queue's urgency flags)."""
    return {conversation_id: _lines(events) for conversation_id, events in _said_events_of(session, conversation_ids).items()}


def _lines(events: list[tuple[int, str, float, dict]], after_id: int = 0) -> list[TranscriptLine]:
    lines = []
    offered: tuple[dict[str, str], ...] = ()  # the buttons of the assistant's latest turn
    for event_id, type_name, timestamp, event in events:
        at = datetime.fromtimestamp(timestamp, tz=timezone.utc)
        if type_name == "user":
            said, sent = _user_said(event, offered)
            external = is_external(event)
            offered = ()  # any user event ends the turn, as for the typed-payload patch
            if external:
                continue  # the web app resuming the assistant, not something the person said
            line = TranscriptLine(at, "personne", said, event_id=event_id, sent=sent)
        else:
            line = _bot_line(event_id, at, event)
            offered += line.buttons
        if event_id > after_id:
            lines.append(line)
    return lines


def is_paused(session: Session, conversation_id: str) -> bool:
    """Whether Rasa's latest pause/resume event for the conversation is a pause (a live part)."""
    latest = _latest_pause_or_resume(session, conversation_id)
    return latest is not None and latest.type_name == "pause"


def after_live_part(session: Session, conversation_id: str) -> str | None:
    """Where a conversation stands after its latest live part, from Rasa's events:
    'paused' (still paused), 'silent' (resumed, and since then neither the assistant nor the person
    has said anything: only our own EXTERNAL_ triggers, whose follow-up failed), or None."""
    latest = _latest_pause_or_resume(session, conversation_id)
    if latest is None:
        return None
    if latest.type_name == "pause":
        return "paused"
    spoken = session.execute(
        text(
            "SELECT 1 FROM events WHERE sender_id = :sender AND id > :resumed AND (type_name = 'bot' "
            "OR (type_name = 'user' AND COALESCE(intent_name, '') NOT LIKE 'EXTERNAL%')) LIMIT 1"
        ),
        {"sender": conversation_id, "resumed": latest.id},
    ).first()
    return None if spoken else "silent"


def _latest_pause_or_resume(session: Session, conversation_id: str) -> Row | None:
    """Rasa's latest pause or resume event of the conversation (id, type_name), or None (also when
    Rasa has not created its events table yet)."""
    if not rasa_events_exist(session):
        return None
    return session.execute(
        text(
            "SELECT id, type_name FROM events WHERE sender_id = :sender AND type_name IN ('pause', 'resume') "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"sender": conversation_id},
    ).first()


def exists(session: Session, conversation_id: str) -> bool:
    return (
        bool(_said_events(session, conversation_id))
        or session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation_id)).first() is not None
    )


def last_activity(session: Session, conversation_id: str) -> datetime | None:
    """When the conversation's latest event was stored (Rasa's `events`, whatever its type), or
    None when it has none yet."""
    if not rasa_events_exist(session):
        return None
    latest = session.execute(
        text("SELECT MAX(timestamp) FROM events WHERE sender_id = :sender"), {"sender": conversation_id}
    ).scalar()
    return None if latest is None else datetime.fromtimestamp(float(latest), tz=timezone.utc)


def is_idle(session: Session, conversation_id: str, idle: timedelta, now: datetime) -> bool:
    """Whether nothing happened in the conversation for longer than `idle` before `now`: then it is
    not resumed from a browser (a shared computer: the next person must not read it). A
    conversation with no event yet is not idle (there is nothing in it to read)."""
    latest = last_activity(session, conversation_id)
    return latest is not None and now - latest > idle


def erase(session: Session, conversation_id: str) -> None:
    """Forget a conversation: Rasa's events and the dossier (its appointment slot is freed)."""
    dossier_ids = session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation_id)).scalars().all()
    if dossier_ids:
        for table in (DossierNeed, Appointment, Callback, LiveChat, Dossier):
            key = table.id if table is Dossier else table.dossier_id
            session.execute(delete(table).where(key.in_(dossier_ids)).execution_options(synchronize_session=False))
    if rasa_events_exist(session):
        session.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id})
