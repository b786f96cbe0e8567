"""Table declarations (SQLAlchemy 1.4 with the 2.0-style API). Schema changes go through Alembic."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import text as sa_text
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.store.statuses import AppointmentStatus, DossierStatus, LiveState, MailStatus

# Any: SQLAlchemy 1.4 has no type information (pyproject.toml [tool.mypy]), and a variable is no base class to mypy
Base: Any = declarative_base()

DOSSIER_STATUSES = tuple(DossierStatus)
SLOT_MODES = ("telephone", "visio", "sur_place")  # how an appointment is held
# e-mails a mediator may choose to get (bot/mail/notices.py); « direct »: someone waits in the live
# chat and nobody is present in the console (bot/store/live.py: alert_unwatched)
MEDIATOR_ALERTS = ("rendez_vous", "rappel", "direct")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no time zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Dossier(Base):
    """One conversation's handover record: everything a mediator needs to pick it up."""

    __tablename__ = "dossiers"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    # no moment column has a default: a default or an `onupdate` would stamp the real clock, and
    # every write passes its caller's `now` instead (dossiers.touch)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)
    status = Column(String(20), nullable=False, default=DossierStatus.NEW.value)
    profile = Column(JSON, nullable=False, default=dict)  # entreprise, secteur, effectif, code_postal, role
    maturity_level = Column(Integer)
    skill_level = Column(String(20))
    nature = Column(String(20))  # technique | strategique
    solutions = Column(JSON, nullable=False, default=list)  # ids of the solutions presented
    answered = Column(Boolean)  # did the assistant's answer meet the need?
    redirect = Column(JSON, nullable=False, default=list)  # ids of the structures given
    contact_name = Column(String(200))
    contact_email = Column(String(254))
    contact_phone = Column(String(40))
    consent_at = Column(UTCDateTime())
    satisfaction = Column(Integer)
    satisfaction_comment = Column(Text)
    follow_up = Column(Boolean)  # the person wished a mediator to follow up (leave-taking)
    deadline = Column(Date)  # the date before which the person has to act, if they gave one
    follow_up_on = Column(Date)  # when to contact them to see whether it worked (with consent and a contact)
    # the synthesis (bot/domain/synthesis.py): {question id: answer id, or None when skipped}, None when
    # the questionnaire was never answered; the solution ids whose details the person opened; what
    # they said was missing after « Pas vraiment »; topics of out-of-scope requests (bot/domain/topics.py)
    answers = Column(JSON)
    opened = Column(JSON)
    missing = Column(Text)
    out_of_scope = Column(JSON)
    # the mediators' side (console): who holds it until when, how it ended
    assigned_to = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"), index=True)
    lease_until = Column(UTCDateTime())  # the claim lapses after this without activity
    outcome = Column(Text)
    triage_correct = Column(Boolean)  # « le tri était-il juste ? »
    corrected_need = Column(String(50))  # the right need when the triage was wrong
    closed_at = Column(UTCDateTime())
    anonymised_at = Column(UTCDateTime())  # personal data removed (retention or request)

    assignee = relationship("Mediator", foreign_keys=[assigned_to])
    notes = relationship("DossierNote", back_populates="dossier", order_by="DossierNote.id")
    audit = relationship("DossierAudit", back_populates="dossier", order_by="DossierAudit.id")
    needs = relationship("DossierNeed", back_populates="dossier", order_by="DossierNeed.id")
    appointments = relationship("Appointment", back_populates="dossier")
    callbacks = relationship("Callback", back_populates="dossier", order_by="Callback.id")
    live_chats = relationship("LiveChat", back_populates="dossier", order_by="LiveChat.id")


class DossierNeed(Base):
    __tablename__ = "dossier_needs"

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    intent = Column(String(50), nullable=False)
    confidence = Column(Float)
    confirmed = Column(Boolean)  # None: not asked yet
    corrected_to = Column(String(50))  # the person said no and chose another need
    created_at = Column(UTCDateTime(), nullable=False)

    dossier = relationship("Dossier", back_populates="needs")


class Mediator(Base):
    __tablename__ = "mediators"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    created_at = Column(UTCDateTime(), nullable=False)
    # console account (bot/web/console): argon2 hash, role, lock-out after failed logins
    password_hash = Column(String(255))
    role = Column(String(20), nullable=False, default="mediateur", server_default="mediateur")  # | admin
    active = Column(Boolean, nullable=False, default=True, server_default=sa_true())
    failed_logins = Column(Integer, nullable=False, default=0, server_default="0")
    locked_until = Column(UTCDateTime())
    calendar_token = Column(String(64), index=True, unique=True)  # private calendar feed URL
    # the last « mot de passe oublié » e-mail queued (one per RESET_MAIL_MINUTES, bot/store/accounts.py)
    reset_requested_at = Column(UTCDateTime())
    # live handover (bot/store/live.py): "available" lapses when the console has been idle too long
    available = Column(Boolean, nullable=False, default=False, server_default=sa_false())
    last_seen_at = Column(UTCDateTime())
    # a console page of theirs is open: its poll (every 5 s, even idle) was last heard then
    console_seen_at = Column(UTCDateTime())
    # which alerts they get by e-mail (MEDIATOR_ALERTS); None: all of them
    alerts = Column(JSON)

    slots = relationship("Slot", back_populates="mediator", order_by="Slot.starts_at")


class Slot(Base):
    """A period when a mediator is available for an appointment."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("mediator_id", "starts_at", name="uq_slot_mediator_start"),)

    id = Column(Integer, primary_key=True)
    mediator_id = Column(Integer, ForeignKey("mediators.id", ondelete="CASCADE"), nullable=False)
    starts_at = Column(UTCDateTime(), nullable=False, index=True)
    ends_at = Column(UTCDateTime(), nullable=False)
    mode = Column(String(20), nullable=False, default="telephone", server_default="telephone")  # SLOT_MODES
    place = Column(Text)  # the address, for a « sur place » appointment

    mediator = relationship("Mediator", back_populates="slots")


class Appointment(Base):
    __tablename__ = "appointments"
    # A slot holds at most one confirmed appointment: the database refuses a double booking,
    # whatever the number of concurrent requests. A cancelled one frees the slot.
    __table_args__ = (
        Index(
            "uq_appointment_active_slot",
            "slot_id",
            unique=True,
            sqlite_where=Column("status", String(20)) == AppointmentStatus.CONFIRMED.value,
            postgresql_where=Column("status", String(20)) == AppointmentStatus.CONFIRMED.value,
        ),
    )

    id = Column(Integer, primary_key=True)
    slot_id = Column(Integer, ForeignKey("slots.id"), nullable=False)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    reference = Column(String(20), nullable=False, unique=True)
    status = Column(String(20), nullable=False, default=AppointmentStatus.CONFIRMED.value)  # AppointmentStatus
    sequence = Column(Integer, nullable=False, default=0, server_default="0")  # +1 when moved or cancelled
    created_at = Column(UTCDateTime(), nullable=False)

    slot = relationship("Slot")
    dossier = relationship("Dossier", back_populates="appointments")


class DossierNote(Base):
    """A mediator's private note on a dossier."""

    __tablename__ = "dossier_notes"

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"))
    body = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)

    dossier = relationship("Dossier", back_populates="notes")
    author = relationship("Mediator")


class DossierAudit(Base):
    """Who did what to a dossier, when (claim, release, status change, close, erase…)."""

    __tablename__ = "dossier_audit"

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    actor_id = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"))  # None: the system
    action = Column(String(40), nullable=False)
    detail = Column(Text)
    created_at = Column(UTCDateTime(), nullable=False)

    dossier = relationship("Dossier", back_populates="audit")
    actor = relationship("Mediator")


class Callback(Base):
    __tablename__ = "callbacks"

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    preferred_moment = Column(String(200))
    deadline = Column(Date)
    created_at = Column(UTCDateTime(), nullable=False)

    dossier = relationship("Dossier", back_populates="callbacks")


class LiveChat(Base):
    """A person waiting for, or chatting live with, a mediator in the website chat.

    The messages themselves are in Rasa's tracker (the conversation is paused meanwhile), so the
    transcript stays whole and in order; this row says who, when and how it ended.
    """

    __tablename__ = "live_chats"
    __table_args__ = (
        Index(
            "uq_live_chat_open",
            "conversation_id",
            unique=True,
            sqlite_where=sa_text("state IN ('waiting', 'active')"),
            postgresql_where=sa_text("state IN ('waiting', 'active')"),
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    state = Column(String(20), nullable=False, default=LiveState.WAITING.value)  # LiveState
    requested_at = Column(UTCDateTime(), nullable=False)
    mediator_id = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"))
    joined_at = Column(UTCDateTime())
    ended_at = Column(UTCDateTime())
    ended_by = Column(String(20))  # person | mediator | handback | timeout | absent
    # the mediators were e-mailed that this person waits with nobody in the console (once per wait)
    alerted_at = Column(UTCDateTime())

    dossier = relationship("Dossier", back_populates="live_chats")
    mediator = relationship("Mediator")


class OutgoingMail(Base):
    """An e-mail waiting to be sent, being sent, or sent (bot/store/outbox.py, bot/jobs/mail_sender.py).

    It names what to say (kind, the dossier, appointment or mediator concerned), not the words nor
    the address: both are composed when it is sent, from the data as it then is, so an erased
    dossier sends nothing and this table keeps no personal data. `dedupe_key` makes enqueuing
    idempotent; a claim (`claim_token`, `claimed_until`) taken by one conditional UPDATE makes
    sure one sender only handles it.
    """

    __tablename__ = "outgoing_mails"
    __table_args__ = (Index("ix_outgoing_mails_status", "status", "next_attempt_at"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    dedupe_key = Column(String(200), nullable=False, unique=True)
    dossier_id = Column(Integer, ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    mediator_id = Column(Integer, ForeignKey("mediators.id", ondelete="CASCADE"), index=True)
    appointment_id = Column(Integer, ForeignKey("appointments.id", ondelete="CASCADE"))
    payload = Column(JSON, nullable=False, default=dict)  # non-personal details (sequence, token nonce…)
    status = Column(String(20), nullable=False, default=MailStatus.PENDING.value)  # MailStatus
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at = Column(UTCDateTime())  # None: as soon as possible
    claim_token = Column(String(40))
    claimed_until = Column(UTCDateTime())
    message_id = Column(String(200))  # the Message-ID, the same on every attempt
    last_error = Column(Text)
    created_at = Column(UTCDateTime(), nullable=False)
    sent_at = Column(UTCDateTime())
    finished_at = Column(UTCDateTime())  # sent, dropped or failed: the row is deleted 90 days later


class ConsoleSession(Base):
    """One logged-in console session (bot/store/accounts.py): the cookie carries a random token,
    this row its SHA-256. Deleting the row ends the session at its next request (logout, « se
    déconnecter partout », « Fermer cette session », a password change or reset, deactivation, a
    role change, CONSOLE_IDLE_MINUTES without activity). No address is stored: only a short
    description of the browser (« Firefox sous Windows »), for « Mon compte »."""

    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True)
    mediator_id = Column(Integer, ForeignKey("mediators.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(UTCDateTime(), nullable=False)
    # the last request the person made (a page, a form, a message); the console's polls do not count
    last_used_at = Column(UTCDateTime(), nullable=False)
    browser = Column(String(80), nullable=False, default="", server_default="")


class LoginFailure(Base):
    """Wrong passwords in a row for one account from one client address (a keyed pseudonym of it,
    bot/rate_limits.py::client_key; "" for this machine): the lock-out is per (account, address),
    so guessing from one address cannot lock the mediator out from another."""

    __tablename__ = "login_failures"

    mediator_id = Column(Integer, ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True)
    client = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False, default=0, server_default="0")
    locked_until = Column(UTCDateTime())
    updated_at = Column(UTCDateTime(), nullable=False)


class JobTurn(Base):
    """Whose turn it is to run a periodic job (bot/jobs/runner.py): one row per job, taken by one
    conditional UPDATE once the previous turn's lease is over, so each turn runs in one worker
    of one server only."""

    __tablename__ = "job_turns"

    name = Column(String(80), primary_key=True)
    holder = Column(String(120), nullable=False)  # host:pid of the worker that took the last turn
    lease_until = Column(UTCDateTime(), nullable=False)
    turns = Column(Integer, nullable=False, default=0, server_default="0")
    last_turn_at = Column(UTCDateTime())


class ErasedConversation(Base):
    """A conversation erased by the person or purged (bot/store/erasures.py), by a keyed hash of its
    id (HMAC-SHA256 with CONVERSATION_SECRET), never the id itself: a write of it spooled on another
    machine, replayed later, cannot create its dossier again. Forgotten after the retention period."""

    __tablename__ = "erased_conversations"

    conversation_key = Column(String(64), primary_key=True)
    erased_at = Column(UTCDateTime(), nullable=False, index=True)


class FirstMessage(Base):
    """How the assistant read a conversation's first message (bot/store/review_inbox.py, the
    console's « Phrases à revoir »): the weekly share understood, sent to the menu, corrected; and,
    for those it misread, what a mediator decided it meant (training data, `bot export-training`).

    `text` and `words` hold the person's own words: they follow the conversation's retention and
    erasure (bot/store/retention.py) and are set to NULL with it; the reading and the decision stay
    for the figures."""

    __tablename__ = "first_messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    received_at = Column(UTCDateTime(), nullable=False, index=True)
    reading = Column(String(20), nullable=False)  # bot/domain/review.py READINGS
    intent = Column(String(50))  # the need the assistant said back
    confidence = Column(Float)
    correction = Column(String(20))  # None | personne | mediateur (review.CORRECTIONS)
    text = Column(Text)  # the message as typed; None once erased or purged
    words = Column(String(500), index=True)  # grouping key (review.words); None with the text
    decision = Column(String(50))  # a need id | hors_sujet | ecartee (review.decisions)
    decided_by = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"))
    decided_at = Column(UTCDateTime())

    decider = relationship("Mediator")


class FirstMessageDecision(Base):
    """Who decided what a first message meant, and when (each click, changes of mind included)."""

    __tablename__ = "first_message_decisions"

    id = Column(Integer, primary_key=True)
    first_message_id = Column(Integer, ForeignKey("first_messages.id", ondelete="CASCADE"), nullable=False, index=True)
    actor_id = Column(Integer, ForeignKey("mediators.id", ondelete="SET NULL"))
    decision = Column(String(50), nullable=False)
    how = Column(String(20), nullable=False)  # boite (the inbox) | cloture (a dossier closed with a corrected triage)
    created_at = Column(UTCDateTime(), nullable=False)

    actor = relationship("Mediator")
