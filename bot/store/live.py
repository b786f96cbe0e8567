"""Live handover in the database: who is on duty, who waits for a mediator, who chats with whom.

Presence: a mediator marks themself available in the console; each console page pings while it
is used; after `idle_minutes` without a ping they count as away. Every state change of a live
chat is one conditional UPDATE, so two mediators joining at once, or a join racing the pick-up
timeout, always have exactly one winner (the loser's UPDATE matches no row and writes nothing).
Nothing here commits: the route or action that opened the session does.

Watching the console: every open console page polls every 5 s, used or not (`console_heard`).
A mediator *watches* when they are present (`is_present`) and a page of theirs was heard within
CONSOLE_OPEN_SECONDS: their console shows the waiting person (banner, chime, browser
notification). When someone waits and nobody watches, the mediators who chose the « direct »
alert are e-mailed, once per wait (`alert_unwatched`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import dossiers, errors, notifications
from bot.store.casework import audit
from bot.store.statuses import DossierStatus, LiveState
from bot.store.tables import Dossier, LiveChat, Mediator

OPEN_STATES = (LiveState.WAITING, LiveState.ACTIVE)


class LiveError(errors.Refused, ValueError):
    """A refused live-chat action, with a French reason to show the mediator."""


# --- presence ---------------------------------------------------------------------------------


def set_available(session: Session, mediator_id: int, available: bool, *, now: datetime) -> None:
    session.execute(
        update(Mediator)
        .where(Mediator.id == mediator_id)
        .values(available=available, last_seen_at=now, console_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def ping(session: Session, mediator_id: int, *, now: datetime) -> None:
    """The mediator is using the console."""
    session.execute(
        update(Mediator)
        .where(Mediator.id == mediator_id)
        .values(last_seen_at=now, console_seen_at=now)
        .execution_options(synchronize_session=False)
    )


# Browsers slow the timers of a page in the background down to one run a minute: a console page
# unheard for longer than this is closed (or its computer asleep).
CONSOLE_OPEN_SECONDS = 90
CONSOLE_HEARD_EVERY_SECONDS = 15  # a page's polls are written down at most this often


def console_heard(session: Session, mediator_id: int, *, now: datetime) -> None:
    """A console page of the mediator is open (its poll, used or not): one write every few polls."""
    session.execute(
        update(Mediator)
        .where(
            Mediator.id == mediator_id,
            or_(
                Mediator.console_seen_at.is_(None),
                Mediator.console_seen_at < now - timedelta(seconds=CONSOLE_HEARD_EVERY_SECONDS),
            ),
        )
        .values(console_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def seen_recently(mediator: Mediator | None, idle_minutes: int, now: datetime) -> bool:
    """The mediator used the console within the last `idle_minutes`."""
    return bool(mediator and mediator.last_seen_at and mediator.last_seen_at >= now - timedelta(minutes=idle_minutes))


def is_present(mediator: Mediator, idle_minutes: int, *, now: datetime) -> bool:
    """Available for a live exchange: the same rule as `available_mediators`, for one mediator."""
    return bool(mediator.available and mediator.active and seen_recently(mediator, idle_minutes, now))


def available_mediators(session: Session, idle_minutes: int, *, now: datetime) -> list[Mediator]:
    return list(
        session.execute(
            select(Mediator)
            .where(
                Mediator.available.is_(True),
                Mediator.active.is_(True),
                Mediator.last_seen_at >= now - timedelta(minutes=idle_minutes),
            )
            .order_by(Mediator.name)
        ).scalars()
    )


# --- a person asks for a mediator ---------------------------------------------------------------


def request(session: Session, conversation_id: str, *, now: datetime) -> LiveChat:
    """Put the person in the live queue (or return the chat they already have open).

    Another tab asking at the same instant: the unique index on open chats settles it and theirs
    stands; should it end before we read it, we ask again (LiveError after three tries)."""
    for _ in range(3):
        existing = open_chat(session, conversation_id)
        if existing is not None:
            return existing
        dossier = dossiers.get_or_create_dossier(session, conversation_id, now)
        try:
            with session.begin_nested():  # only the savepoint is undone when the index refuses ours
                chat = LiveChat(conversation_id=conversation_id, dossier=dossier, state=LiveState.WAITING, requested_at=now)
                session.add(chat)
        except IntegrityError:
            continue
        audit(session, dossier, None, "direct_demande", at=now)
        return chat
    raise LiveError("the live chat of this conversation kept changing")


def open_chat(session: Session, conversation_id: str) -> LiveChat | None:
    return session.execute(
        select(LiveChat)
        .where(LiveChat.conversation_id == conversation_id, LiveChat.state.in_(OPEN_STATES))
        .options(selectinload(LiveChat.mediator))
    ).scalar_one_or_none()


def latest_chat(session: Session, dossier_id: int) -> LiveChat | None:
    return session.execute(
        select(LiveChat)
        .where(LiveChat.dossier_id == dossier_id)
        .order_by(LiveChat.id.desc())
        .limit(1)
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
        .where(LiveChat.state == LiveState.WAITING)
        .order_by(LiveChat.requested_at)
    ).all()
    return [Waiting(*row) for row in rows]


# --- a mediator joins, the chat ends --------------------------------------------------------------


def join(session: Session, chat_id: int, mediator_id: int, lease_minutes: int, *, now: datetime) -> LiveChat:
    """The mediator takes the waiting person (and their dossier); LiveError if someone was quicker."""
    result = session.execute(
        update(LiveChat)
        .where(LiveChat.id == chat_id, LiveChat.state == LiveState.WAITING)
        .values(state=LiveState.ACTIVE, mediator_id=mediator_id, joined_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # someone was quicker: their UPDATE stands, this one wrote nothing
        chat = session.get(LiveChat, chat_id, populate_existing=True)
        if chat is None:
            raise LiveError("Cette demande n'existe plus.")
        if chat.state == LiveState.ACTIVE:
            raise LiveError("Un ou une collègue a déjà rejoint cette personne.")
        raise LiveError("Cette personne n'attend plus : la demande est terminée.")
    chat = session.get(LiveChat, chat_id, populate_existing=True)
    # the dossier follows the person: whoever talks with them holds it (the claim's own audit row)
    dossier = session.get(Dossier, chat.dossier_id)
    dossier.assigned_to, dossier.status = mediator_id, DossierStatus.IN_PROGRESS
    dossier.lease_until = now + timedelta(minutes=lease_minutes)
    dossiers.touch(dossier, now)
    audit(session, dossier, mediator_id, "direct_rejoint", at=now)
    return chat


def require_writer(chat: LiveChat | None, mediator_id: int) -> LiveChat:
    """Only the mediator who joined may write, and only while the chat is open."""
    if chat is None or chat.state != LiveState.ACTIVE:
        raise LiveError("Il n'y a pas d'échange en direct en cours sur ce dossier.")
    if chat.mediator_id != mediator_id:
        raise LiveError("Seule la personne qui a rejoint cet échange peut y écrire.")
    return chat


def end(session: Session, chat_id: int, ended_by: str, *, now: datetime) -> LiveChat | None:
    """Close the chat; None when it was already closed (someone else ended it first)."""
    state = LiveState.TIMED_OUT if ended_by in ("timeout", "absent") else LiveState.ENDED
    result = session.execute(
        update(LiveChat)
        .where(LiveChat.id == chat_id, LiveChat.state.in_(OPEN_STATES))
        .values(state=state, ended_at=now, ended_by=ended_by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # ended already: nothing written, nothing to undo
        return None
    chat = session.get(LiveChat, chat_id, populate_existing=True)
    audit(
        session, chat.dossier, chat.mediator_id if ended_by in ("mediator", "handback") else None, "direct_fin", ended_by, at=now
    )
    return chat


def overdue(session: Session, pickup_seconds: int, idle_minutes: int, *, now: datetime) -> list[tuple[LiveChat, str]]:
    """Chats to end: nobody joined in time ("timeout"), or the mediator went away ("absent")."""
    late = [
        (chat, "timeout")
        for chat in session.execute(
            select(LiveChat).where(
                LiveChat.state == LiveState.WAITING, LiveChat.requested_at < now - timedelta(seconds=pickup_seconds)
            )
        ).scalars()
    ]
    active = session.execute(
        select(LiveChat).where(LiveChat.state == LiveState.ACTIVE).options(selectinload(LiveChat.mediator))
    ).scalars()
    gone = [(chat, "absent") for chat in active if not seen_recently(chat.mediator, idle_minutes, now)]
    return late + gone


def ended_between(session: Session, *, after: datetime, before: datetime) -> list[LiveChat]:
    """Chats ended (by anyone, or timed out) within (after, before), oldest first."""
    return list(
        session.execute(
            select(LiveChat)
            .where(
                LiveChat.state.in_((LiveState.ENDED, LiveState.TIMED_OUT)),
                LiveChat.ended_at < before,
                LiveChat.ended_at > after,
            )
            .order_by(LiveChat.id)
            .options(selectinload(LiveChat.mediator))
        ).scalars()
    )


# --- someone waits and nobody watches the console: e-mail the mediators ------------------------


def watching(session: Session, idle_minutes: int, *, now: datetime) -> list[Mediator]:
    """Mediators who would see a waiting person now: present for the live chat (available, active,
    used the console within `idle_minutes`) with a console page open (heard within
    CONSOLE_OPEN_SECONDS)."""
    return [
        m
        for m in available_mediators(session, idle_minutes, now=now)
        if m.console_seen_at is not None and m.console_seen_at >= now - timedelta(seconds=CONSOLE_OPEN_SECONDS)
    ]


def alert_unwatched(session: Session, idle_minutes: int, pickup_seconds: int, *, now: datetime) -> list[int]:
    """E-mail the « direct » alert for every person waiting while nobody watches the console.

    Checked by the web app's watcher every few seconds, so it fires when a person starts waiting
    with nobody watching (the one on duty closed the console without saying they left), and when
    the last one watching goes while a person waits (page closed, idle too long, « Me mettre
    absent »). Once per wait: `alerted_at` is set by one conditional UPDATE, whose winner queues
    the e-mails in the same transaction (several workers or servers run the watcher). The ids of
    the chats alerted."""
    pending = list(
        session.execute(
            select(LiveChat).where(LiveChat.state == LiveState.WAITING, LiveChat.alerted_at.is_(None)).order_by(LiveChat.id)
        ).scalars()
    )
    if not pending or watching(session, idle_minutes, now=now):
        return []
    alerted = []
    for chat in pending:
        won = (
            session.execute(
                update(LiveChat)
                .where(LiveChat.id == chat.id, LiveChat.state == LiveState.WAITING, LiveChat.alerted_at.is_(None))
                .values(alerted_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
        if not won:
            continue
        count = notifications.live_unwatched(session, chat, until=chat.requested_at + timedelta(seconds=pickup_seconds), now=now)
        audit(
            session,
            chat.dossier,
            None,
            "direct_alerte",
            f"aucun médiateur dans la console : {count} prévenu(s) par e-mail",
            at=now,
        )
        alerted.append(chat.id)
    return alerted


def chat_by_id(session: Session, chat_id: int | None) -> LiveChat | None:
    return session.get(LiveChat, chat_id) if chat_id is not None else None
