"""Live handover in the database: who is on duty, who waits for a mediator, who chats with whom.

Presence: a mediator marks themself available in the console; each console page pings while it
is used; after `idle_minutes` without a ping they count as away. Every state change of a live
chat is one conditional UPDATE, so two mediators joining at once, or a join racing the pick-up
timeout, always have exactly one winner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import queries
from bot.store.casework import audit
from bot.store.tables import Dossier, LiveChat, Mediator

OPEN_STATES = ("waiting", "active")


class LiveError(ValueError):
    """A refused live-chat action, with a French reason to show the mediator."""


# --- presence ---------------------------------------------------------------------------------

def set_available(session: Session, mediator_id: int, available: bool, *, now: datetime) -> None:
    session.execute(
        update(Mediator).where(Mediator.id == mediator_id)
        .values(available=available, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def ping(session: Session, mediator_id: int, *, now: datetime) -> None:
    """The mediator is using the console."""
    session.execute(
        update(Mediator).where(Mediator.id == mediator_id).values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def seen_recently(mediator: Mediator | None, idle_minutes: int, now: datetime) -> bool:
    """The mediator used the console within the last `idle_minutes`."""
    return bool(mediator and mediator.last_seen_at and mediator.last_seen_at >= now - timedelta(minutes=idle_minutes))


def is_present(mediator: Mediator, idle_minutes: int, *, now: datetime) -> bool:
    """Available for a live exchange: the same rule as `available_mediators`, for one mediator."""
    return bool(mediator.available and mediator.active and seen_recently(mediator, idle_minutes, now))


def available_mediators(session: Session, idle_minutes: int, *, now: datetime) -> list[Mediator]:
    return list(session.execute(
        select(Mediator).where(
            Mediator.available.is_(True), Mediator.active.is_(True),
            Mediator.last_seen_at >= now - timedelta(minutes=idle_minutes),
        ).order_by(Mediator.name)
    ).scalars())


# --- a person asks for a mediator ---------------------------------------------------------------

def request(session: Session, conversation_id: str, *, now: datetime) -> LiveChat:
    """Put the person in the live queue (or return the chat they already have open)."""
    existing = open_chat(session, conversation_id)
    if existing is not None:
        return existing
    dossier = queries.get_or_create_dossier(session, conversation_id)
    chat = LiveChat(conversation_id=conversation_id, dossier=dossier, state="waiting", requested_at=now)
    session.add(chat)
    try:
        session.flush()
    except IntegrityError:  # another tab asked at the same instant: theirs stands
        session.rollback()
        return open_chat(session, conversation_id)
    audit(session, dossier, None, "direct_demande", at=now)
    session.commit()
    return chat


def open_chat(session: Session, conversation_id: str) -> LiveChat | None:
    return session.execute(
        select(LiveChat).where(LiveChat.conversation_id == conversation_id, LiveChat.state.in_(OPEN_STATES))
        .options(selectinload(LiveChat.mediator))
    ).scalar_one_or_none()


def latest_chat(session: Session, dossier_id: int) -> LiveChat | None:
    return session.execute(
        select(LiveChat).where(LiveChat.dossier_id == dossier_id).order_by(LiveChat.id.desc()).limit(1)
        .options(selectinload(LiveChat.mediator))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Waiting:
    chat_id: int
    dossier_id: int
    requested_at: datetime


def waiting(session: Session) -> list[Waiting]:
    """People waiting for a mediator, longest wait first."""
    rows = session.execute(
        select(LiveChat.id, LiveChat.dossier_id, LiveChat.requested_at)
        .where(LiveChat.state == "waiting").order_by(LiveChat.requested_at)
    ).all()
    return [Waiting(*row) for row in rows]


# --- a mediator joins, the chat ends --------------------------------------------------------------

def join(session: Session, chat_id: int, mediator_id: int, lease_minutes: int, *, now: datetime) -> LiveChat:
    """The mediator takes the waiting person (and their dossier); LiveError if someone was quicker."""
    result = session.execute(
        update(LiveChat).where(LiveChat.id == chat_id, LiveChat.state == "waiting")
        .values(state="active", mediator_id=mediator_id, joined_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        chat = session.get(LiveChat, chat_id)
        if chat is None:
            raise LiveError("Cette demande n'existe plus.")
        if chat.state == "active":
            raise LiveError("Un ou une collègue a déjà rejoint cette personne.")
        raise LiveError("Cette personne n'attend plus : la demande est terminée.")
    chat = session.get(LiveChat, chat_id, populate_existing=True)
    # the dossier follows the person: whoever talks with them holds it (the claim's own audit row)
    dossier = session.get(Dossier, chat.dossier_id)
    dossier.assigned_to, dossier.lease_until, dossier.status = mediator_id, now + timedelta(minutes=lease_minutes), "en_cours"
    audit(session, dossier, mediator_id, "direct_rejoint", at=now)
    session.commit()
    return chat


def require_writer(chat: LiveChat | None, mediator_id: int) -> LiveChat:
    """Only the mediator who joined may write, and only while the chat is open."""
    if chat is None or chat.state != "active":
        raise LiveError("Il n'y a pas d'échange en direct en cours sur ce dossier.")
    if chat.mediator_id != mediator_id:
        raise LiveError("Seule la personne qui a rejoint cet échange peut y écrire.")
    return chat


def end(session: Session, chat_id: int, ended_by: str, *, now: datetime) -> LiveChat | None:
    """Close the chat; None when it was already closed (someone else ended it first)."""
    state = "timed_out" if ended_by in ("timeout", "absent") else "ended"
    result = session.execute(
        update(LiveChat).where(LiveChat.id == chat_id, LiveChat.state.in_(OPEN_STATES))
        .values(state=state, ended_at=now, ended_by=ended_by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        return None
    chat = session.get(LiveChat, chat_id, populate_existing=True)
    audit(session, chat.dossier, chat.mediator_id if ended_by in ("mediator", "handback") else None,
          "direct_fin", ended_by, at=now)
    session.commit()
    return chat


def overdue(session: Session, pickup_seconds: int, idle_minutes: int, *, now: datetime
            ) -> list[tuple[LiveChat, str]]:
    """Chats to end: nobody joined in time ("timeout"), or the mediator went away ("absent")."""
    late = [(chat, "timeout") for chat in session.execute(
        select(LiveChat).where(LiveChat.state == "waiting",
                               LiveChat.requested_at < now - timedelta(seconds=pickup_seconds))
    ).scalars()]
    active = session.execute(
        select(LiveChat).where(LiveChat.state == "active").options(selectinload(LiveChat.mediator))
    ).scalars()
    gone = [(chat, "absent") for chat in active if not seen_recently(chat.mediator, idle_minutes, now)]
    return late + gone
