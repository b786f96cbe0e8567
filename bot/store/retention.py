"""Personal data is kept no longer than announced (data/service.yml `retention_months`, the same
setting the privacy notice and the consent question say to people).

Every conversation is purged once its last activity is older than the retention period, whatever
its status: conversations the assistant handled alone, dossiers nobody closed, conversations that
never got a dossier. Purging removes whatever identifies the person (contact details, company
name, free-text comment, call-back wishes, the mediators' notes and outcome, the conversation
itself in Rasa's `events` table) but keeps what the activity reports count: needs, statuses,
maturity, satisfaction score, dates. The dossier row stays, with `anonymised_at` set and an audit
entry saying why.

The only exception is an open case a mediator is still working on (a mediator acted on it within
the period, or holds it now): it is kept, and the console says « conservé car en cours ». A person
may also ask for erasure at any time: from the chat (`erase_conversation`, « Effacer ma
conversation »: an appointment still to come is cancelled as with their e-mailed link) or through a
mediator (`erase_person`).

Every copy goes too: the dossier's rows of the mail queue are deleted and their Message-IDs
returned (`PurgeReport.message_ids`, `Erasure.message_ids`), so that the caller removes the `.eml`
copies written without an SMTP server (bot/mail/transport.py, which also prunes every copy after a
few days); a write of the conversation left in the spool cannot bring the data back
(bot/store/spool.py drops writes to an anonymised dossier, and those of an erased conversation
that had no dossier yet, by its tombstone, bot/store/erasures.py, from whichever machine's spool).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from bot.domain import catalog
from bot.store import erasures, review_inbox, scheduling, self_service
from bot.store.conversations import rasa_events_exist
from bot.store.statuses import AppointmentStatus, DossierStatus, LiveState
from bot.store.tables import Appointment, Dossier, DossierAudit, LiveChat, OutgoingMail

ERASED = "[effacé]"


@dataclass(frozen=True)
class Decision:
    """One conversation past the retention period: purged, or kept because a mediator works on it."""

    conversation_id: str
    dossier_id: int | None  # None: the conversation never got a dossier
    last_activity: datetime  # the person's last message (or the dossier's last change)
    why: str


@dataclass
class PurgeReport:
    cutoff: datetime  # conversations whose last activity is before this are purged
    months: int
    dry_run: bool = False
    purged: list[Decision] = field(default_factory=list)
    kept: list[Decision] = field(default_factory=list)  # open cases a mediator is still working on
    message_ids: list[str] = field(default_factory=list)  # the purged dossiers' mails: remove their .eml copies

    @property
    def dossier_ids(self) -> list[int]:
        return [d.dossier_id for d in self.purged if d.dossier_id is not None]

    @property
    def count(self) -> int:
        return len(self.purged)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_after(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (clamped to the month's last day)."""
    return months_before(moment, -months)


def _last_events(session: Session) -> dict[str, datetime]:
    """The time of each conversation's last event in Rasa's table."""
    if not rasa_events_exist(session):
        return {}
    rows = session.execute(text("SELECT sender_id, MAX(timestamp) FROM events GROUP BY sender_id")).all()
    return {sender: datetime.fromtimestamp(float(last), timezone.utc) for sender, last in rows if last is not None}


def _conversation_last_event(session: Session, conversation_id: str) -> datetime | None:
    if not rasa_events_exist(session):
        return None
    last = session.execute(
        text("SELECT MAX(timestamp) FROM events WHERE sender_id = :sender"), {"sender": conversation_id}
    ).scalar()
    return None if last is None else datetime.fromtimestamp(float(last), timezone.utc)


def _delete_conversation_events(session: Session, conversation_id: str) -> None:
    review_inbox.forget(session, conversation_id)  # its first message's words, kept for the review inbox
    if rasa_events_exist(session):
        session.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id})


def anonymise(session: Session, dossier: Dossier, action: str, actor_id: int | None, detail: str, *, now: datetime) -> None:
    """Remove the dossier's personal data and say so in its audit trail (the caller commits)."""
    dossier.contact_name = dossier.contact_email = dossier.contact_phone = None
    dossier.consent_at = None
    if "entreprise" in (dossier.profile or {}):
        dossier.profile = {k: v for k, v in dossier.profile.items() if k != "entreprise"}  # new dict: tracked
    dossier.satisfaction_comment = None
    if dossier.outcome:
        dossier.outcome = ERASED  # the mediator's free text may name the person
    for callback in dossier.callbacks:
        callback.preferred_moment = None
    dossier.follow_up_on = None  # nobody to contact any more: out of the mediators' queue
    for note in dossier.notes:
        note.body = ERASED
    dossier.anonymised_at = dossier.updated_at = now
    session.add(DossierAudit(dossier=dossier, actor_id=actor_id, action=action, detail=detail, created_at=now))
    session.flush()
    _delete_conversation_events(session, dossier.conversation_id)


def forget_mails(session: Session, dossier_id: int) -> list[str]:
    """Delete the dossier's rows of the mail queue (sent, pending or given up; the person's and the
    mediators' alerts about them); the Message-IDs of those that were written somewhere."""
    rows = session.execute(select(OutgoingMail.id, OutgoingMail.message_id).where(OutgoingMail.dossier_id == dossier_id)).all()
    if rows:
        session.execute(
            delete(OutgoingMail)
            .where(OutgoingMail.id.in_([mail_id for mail_id, _ in rows]))
            .execution_options(synchronize_session=False)
        )
    return [message_id for _, message_id in rows if message_id]


def last_activity(dossier: Dossier, last_event: datetime | None) -> datetime:
    """When the person last did something: their last message in Rasa's table, else the dossier's
    last change; a confirmed appointment still to come counts as activity."""
    moments = [last_event or dossier.updated_at or dossier.created_at]
    moments += [a.slot.starts_at for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED]
    return max(moments)


def in_progress(session: Session, dossier: Dossier, cutoff: datetime, now: datetime) -> bool:
    """An open case a mediator is still working on: held now, or a mediator acted on it since the cutoff."""
    if dossier.status == DossierStatus.CLOSED:
        return False
    if dossier.assigned_to is not None and dossier.lease_until is not None and dossier.lease_until >= now:
        return True
    latest = session.execute(
        select(func.max(DossierAudit.created_at)).where(DossierAudit.dossier_id == dossier.id, DossierAudit.actor_id.is_not(None))
    ).scalar()
    return latest is not None and _aware(latest) >= cutoff


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RetentionStatus:
    """What the console shows about a dossier's retention."""

    last_activity: datetime
    purge_after: datetime  # the last activity plus the retention period
    kept_in_progress: bool  # past the period, kept only because a mediator works on it


def status(session: Session, dossier: Dossier, *, now: datetime, months: int | None = None) -> RetentionStatus | None:
    """None once the dossier is anonymised."""
    if dossier.anonymised_at is not None:
        return None
    months = catalog.retention_months() if months is None else months
    cutoff = months_before(now, months)
    last = last_activity(dossier, _conversation_last_event(session, dossier.conversation_id))
    purge_after = months_after(last, months)
    return RetentionStatus(last, purge_after, last < cutoff and in_progress(session, dossier, cutoff, now))


def purge(session: Session, *, now: datetime, months: int | None = None, dry_run: bool = False) -> PurgeReport:
    """Purge every conversation whose last activity is older than the retention period, with or
    without a dossier, whatever its status, except open cases a mediator is still working on.
    Idempotent; the caller commits. With dry_run, only say what would go and why."""
    months = catalog.retention_months() if months is None else months
    report = PurgeReport(cutoff=months_before(now, months), months=months, dry_run=dry_run)
    cutoff = report.cutoff
    last_events = _last_events(session)
    dossiers = {
        d.conversation_id: d
        for d in session.execute(
            select(Dossier)
            .where(Dossier.anonymised_at.is_(None))
            .options(
                selectinload(Dossier.notes),
                selectinload(Dossier.callbacks),
                selectinload(Dossier.appointments).selectinload(Appointment.slot),
            )
            .order_by(Dossier.id)
        ).scalars()
    }
    for conversation_id, dossier in dossiers.items():
        last = last_activity(dossier, last_events.get(conversation_id))
        if last >= cutoff:
            continue
        if in_progress(session, dossier, cutoff, now):
            report.kept.append(Decision(conversation_id, dossier.id, last, "conservé car en cours (un médiateur y travaille)"))
            continue
        why = f"dernière activité le {last:%Y-%m-%d}, dossier « {dossier.status} »"
        report.purged.append(Decision(conversation_id, dossier.id, last, why))
        if not dry_run:
            anonymise(session, dossier, "anonymise", None, f"durée de conservation ({months} mois) écoulée", now=now)
            report.message_ids += forget_mails(session, dossier.id)

    for conversation_id, last in sorted(last_events.items()):
        if conversation_id in dossiers or last >= cutoff:
            continue  # decided above, or recent
        report.purged.append(Decision(conversation_id, None, last, f"dernière activité le {last:%Y-%m-%d}, sans dossier"))
        if not dry_run:
            _delete_conversation_events(session, conversation_id)
            erasures.remember(session, conversation_id, now=now)  # a spooled write of it creates nothing
    if not dry_run:
        erasures.forget_before(session, cutoff)  # tombstones are kept as long as the data would have been
        # a first message whose conversation left nothing else (no dossier, no event) goes by its date
        review_inbox.forget_before(session, cutoff, keep=set(dossiers) | set(last_events))
    return report


def erase_person(session: Session, dossier_id: int, actor_id: int | None, *, now: datetime) -> bool:
    """Anonymise a dossier now, whatever its status, at the person's request made to a mediator.
    False if no such dossier. The caller commits."""
    return erase_dossier(session, dossier_id, actor_id, now=now) is not None


def erase_dossier(session: Session, dossier_id: int, actor_id: int | None, *, now: datetime) -> list[str] | None:
    """`erase_person`, giving the Message-IDs of the mails it forgot, whose .eml copies the caller
    removes (bot/mail/transport.py: remove_copies); None if no such dossier. The caller commits."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    message_ids = forget_mails(session, dossier.id)
    for appointment in dossier.appointments:  # no one to meet any more: free the slot
        if appointment.status == AppointmentStatus.CONFIRMED and appointment.slot.starts_at > now:
            scheduling.cancel_appointment(session, appointment.reference)  # sequence raised: calendars update
    anonymise(session, dossier, "effacement_demande", actor_id, "effacement demandé par la personne", now=now)
    erasures.remember(session, dossier.conversation_id, now=now)
    return message_ids


@dataclass
class Erasure:
    """What « Effacer ma conversation » did: the appointments it cancelled, and the Message-IDs
    of the mails it forgot (whose .eml copies the caller removes)."""

    cancelled: list[str] = field(default_factory=list)  # appointment references
    message_ids: list[str] = field(default_factory=list)


def erase_conversation(session: Session, conversation_id: str, *, now: datetime) -> Erasure:
    """The person erases their conversation from the chat. Their messages (Rasa's events) go; the
    dossier, if any, is anonymised as `erase_person` does (needs, statuses and dates stay for the
    activity reports, and the anonymised row is what stops a spooled write from recreating it);
    its mails are forgotten; a confirmed appointment still to come is cancelled exactly as with the
    person's e-mailed link (slot freed, CANCELLED in the mediator's calendar, the mediators'
    « rendez-vous annulé » alert). The caller commits."""
    erasure = Erasure()
    erasures.remember(session, conversation_id, now=now)  # no spooled write, from any machine, recreates it
    dossier = session.execute(select(Dossier).where(Dossier.conversation_id == conversation_id)).scalar_one_or_none()
    if dossier is None:
        _delete_conversation_events(session, conversation_id)
        return erasure
    erasure.message_ids = forget_mails(session, dossier.id)  # before the cancellation queues its alert
    erasure.cancelled = [a.reference for a in self_service.cancel_upcoming(session, dossier.id, now=now, how="effacement")]
    for chat in session.execute(select(LiveChat).where(LiveChat.dossier_id == dossier.id)).scalars():
        if chat.state in (LiveState.WAITING, LiveState.ACTIVE):  # the person left the live chat
            chat.state, chat.ended_at, chat.ended_by = LiveState.ENDED, now, "person"
    anonymise(session, dossier, "effacement_demande", None, "effacement demandé par la personne (dans le chat)", now=now)
    return erasure
