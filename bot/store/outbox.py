"""The outgoing mail queue: enqueue once, claim once, then sent, retried later, or given up.

Delivery is driven by bot/jobs/mail_sender.py; this module only moves rows between states:

    pending --claim--> sending --sent--> sent
                          |--refused (temporary)--> pending, next_attempt_at later (back-off)
                          |--refused (permanent) or too many attempts--> failed
                          `--nothing to say any more (erased, cancelled)--> dropped

- Enqueuing is idempotent: each message has a `dedupe_key` (« rdv_confirmation:RDV-ABC123:0 »)
  and the unique index refuses a second row (in a savepoint), so a replayed write or two
  workers noticing the same reminder never queue it twice.
- Claiming is one conditional UPDATE per row, whose WHERE holds the state the sender read: two
  senders (two web workers, two servers) racing for a row get one winner, the other's rowcount
  is 0. A claim lasts CLAIM_SECONDS: a sender that died mid-send lets another take the row over
  once it lapses.
- Nothing here commits (issue 18): `enqueue` queues the message in the caller's transaction,
  with what caused it; the sender (bot/jobs/mail_sender.py) commits the claim before talking to
  the mail server, then each outcome, since each is one step of a sender.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.store.statuses import MailStatus
from bot.store.tables import OutgoingMail

CLAIM_SECONDS = 120  # longer than any SMTP exchange (the transport's time-out is 30 s)
MAX_ATTEMPTS = 12
# Waits after each refusal: 1, 2, 4… minutes, at most an hour — about eight hours in all, so a
# mail server down for an afternoon delays the mail without losing it.
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600


def enqueue(
    session: Session,
    kind: str,
    dedupe_key: str,
    *,
    dossier_id: int | None = None,
    mediator_id: int | None = None,
    appointment_id: int | None = None,
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    now: datetime,
) -> OutgoingMail | None:
    """Queue a message in the caller's transaction (`now`: the caller's moment, its `created_at`);
    None if one with this key already exists.

    Two transactions queuing the same key at the same instant: the unique index refuses the
    second insert, in a savepoint, so only that insert is undone (None) and the caller's other
    writes (the booking, the call-back the message is about) stand."""
    existing = session.execute(select(OutgoingMail.id).where(OutgoingMail.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return None
    mail = OutgoingMail(
        kind=kind,
        dedupe_key=dedupe_key,
        dossier_id=dossier_id,
        mediator_id=mediator_id,
        appointment_id=appointment_id,
        payload=payload or {},
        status=MailStatus.PENDING,
        next_attempt_at=not_before,
        message_id=None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(mail)
    except IntegrityError:  # queued by another transaction meanwhile: theirs stands
        return None
    return mail


def due_ids(session: Session, *, now: datetime, limit: int = 20) -> list[int]:
    """Messages a sender may try now: pending and due, or whose sender's claim lapsed."""
    return list(session.execute(select(OutgoingMail.id).where(_claimable(now)).order_by(OutgoingMail.id).limit(limit)).scalars())


def _claimable(now: datetime) -> ColumnElement:
    return or_(
        and_(
            OutgoingMail.status == MailStatus.PENDING,
            or_(OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now),
        ),
        and_(OutgoingMail.status == MailStatus.SENDING, OutgoingMail.claimed_until < now),
    )


@dataclass(frozen=True)
class Claim:
    mail_id: int
    token: str


def claim(session: Session, mail_id: int, *, now: datetime) -> Claim | None:
    """Take one message for sending, or None if another sender has it (or it is not due)."""
    token = secrets.token_hex(16)
    result = session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, _claimable(now))
        .values(
            status=MailStatus.SENDING,
            claim_token=token,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
            attempts=OutgoingMail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return Claim(mail_id, token) if result.rowcount == 1 else None


def _finish(session: Session, claim_: Claim, **values: Any) -> bool:
    """Record the outcome, if the claim is still ours (it lapsed and was taken over otherwise)."""
    result = session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == claim_.mail_id, OutgoingMail.claim_token == claim_.token, OutgoingMail.status == MailStatus.SENDING
        )
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def set_message_id(session: Session, claim_: Claim, message_id: str) -> None:
    """The Message-ID is fixed at the first attempt, so a resent copy is recognisably the same."""
    session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == claim_.mail_id, OutgoingMail.message_id.is_(None))
        .values(message_id=message_id)
        .execution_options(synchronize_session=False)
    )


def mark_sent(session: Session, claim_: Claim, *, now: datetime) -> bool:
    return _finish(session, claim_, status=MailStatus.SENT, sent_at=now, finished_at=now, last_error=None)


def mark_dropped(session: Session, claim_: Claim, why: str, *, now: datetime) -> bool:
    return _finish(session, claim_, status=MailStatus.DROPPED, finished_at=now, last_error=why[:500])


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def mark_refused(session: Session, claim_: Claim, error: str, *, permanent: bool, now: datetime) -> bool:
    """The server said no: try again later with a longer wait, or give up (permanent or too many)."""
    attempts = session.execute(select(OutgoingMail.attempts).where(OutgoingMail.id == claim_.mail_id)).scalar_one()
    if permanent or attempts >= MAX_ATTEMPTS:
        return _finish(session, claim_, status=MailStatus.FAILED, finished_at=now, last_error=error[:500])
    return _finish(
        session, claim_, status=MailStatus.PENDING, last_error=error[:500], next_attempt_at=now + retry_delay(attempts)
    )


KEEP_DONE_DAYS = 90  # how long a sent (or abandoned) message's row stays, against a late duplicate


def prune(session: Session, *, now: datetime) -> int:
    """Forget the messages done with (sent, dropped, failed) more than KEEP_DONE_DAYS ago."""
    result = session.execute(
        delete(OutgoingMail)
        .where(
            OutgoingMail.status.in_((MailStatus.SENT, MailStatus.DROPPED, MailStatus.FAILED)),
            OutgoingMail.finished_at < now - timedelta(days=KEEP_DONE_DAYS),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def counts(session: Session) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (status,) in session.execute(select(OutgoingMail.status)):
        totals[status] = totals.get(status, 0) + 1
    return totals


# --- what could not be delivered, for the console --------------------------------------------


def failed_for_dossier(session: Session, dossier_id: int, kinds: frozenset[str] | set[str]) -> list[OutgoingMail]:
    """The dossier's messages of these kinds given up (refused for good, or too many attempts), oldest first."""
    return list(
        session.execute(
            select(OutgoingMail)
            .where(
                OutgoingMail.dossier_id == dossier_id,
                OutgoingMail.status == MailStatus.FAILED,
                OutgoingMail.kind.in_(sorted(kinds)),
            )
            .order_by(OutgoingMail.finished_at, OutgoingMail.id)
        ).scalars()
    )


def dossiers_with_failures(session: Session, dossier_ids: list[int], kinds: frozenset[str] | set[str]) -> set[int]:
    """Which of these dossiers have a message of these kinds given up."""
    if not dossier_ids:
        return set()
    return set(
        session.execute(
            select(OutgoingMail.dossier_id).where(
                OutgoingMail.dossier_id.in_(dossier_ids),
                OutgoingMail.status == MailStatus.FAILED,
                OutgoingMail.kind.in_(sorted(kinds)),
            )
        ).scalars()
    )


def failed_since(session: Session, since: datetime) -> list[OutgoingMail]:
    """Every message given up since `since`, newest first (the admins' list)."""
    return list(
        session.execute(
            select(OutgoingMail)
            .where(OutgoingMail.status == MailStatus.FAILED, OutgoingMail.finished_at >= since)
            .order_by(OutgoingMail.finished_at.desc(), OutgoingMail.id.desc())
        ).scalars()
    )


def mail_by_id(session: Session, mail_id: int) -> OutgoingMail | None:
    return session.get(OutgoingMail, mail_id)
