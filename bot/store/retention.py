"""Personal data is kept no longer than announced in the privacy notice (data/service.yml).

Closed dossiers older than the retention period are anonymised, and a person may ask for it at
any time. Anonymising removes whatever identifies the person (contact details, company name,
free-text comment, the mediators' notes, the conversation itself in Rasa's `events` table) but
keeps what the activity reports count: needs, statuses, maturity, satisfaction score, dates.
The dossier row stays, with `anonymised_at` set and an audit entry saying why.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, selectinload

from bot import catalog
from bot.store.tables import Dossier, DossierAudit

ERASED = "[effacé]"


@dataclass
class PurgeReport:
    cutoff: datetime  # dossiers closed before this are anonymised
    months: int
    dry_run: bool = False
    dossier_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.dossier_ids)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _delete_conversation_events(session: Session, conversation_id: str) -> None:
    try:
        with session.begin_nested():
            session.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": conversation_id})
    except (OperationalError, ProgrammingError):  # Rasa has not created its table yet
        pass


def anonymise(session: Session, dossier: Dossier, action: str, actor_id: int | None, detail: str,
              now: datetime | None = None) -> None:
    """Remove the dossier's personal data and say so in its audit trail (the caller commits)."""
    now = now or datetime.now(timezone.utc)
    dossier.contact_name = dossier.contact_email = dossier.contact_phone = None
    dossier.consent_at = None
    if "entreprise" in (dossier.profile or {}):
        dossier.profile = {k: v for k, v in dossier.profile.items() if k != "entreprise"}  # new dict: tracked
    dossier.satisfaction_comment = None
    if dossier.outcome:
        dossier.outcome = ERASED  # the mediator's free text may name the person
    for callback in dossier.callbacks:
        callback.preferred_moment = None
    for note in dossier.notes:
        note.body = ERASED
    dossier.anonymised_at = now
    session.add(DossierAudit(dossier=dossier, actor_id=actor_id, action=action, detail=detail, created_at=now))
    session.flush()
    _delete_conversation_events(session, dossier.conversation_id)


def due(session: Session, cutoff: datetime) -> list[Dossier]:
    """Closed dossiers, closed before the cutoff, not anonymised yet."""
    return list(session.execute(
        select(Dossier)
        .options(selectinload(Dossier.notes))
        .where(Dossier.status == "clos", Dossier.closed_at < cutoff, Dossier.anonymised_at.is_(None))
        .order_by(Dossier.id)
    ).scalars())


def purge(session: Session, now: datetime | None = None, months: int | None = None,
          dry_run: bool = False) -> PurgeReport:
    """Anonymise the closed dossiers past the retention period. Idempotent; the caller commits.

    With dry_run, only say which dossiers would be anonymised.
    """
    now = now or datetime.now(timezone.utc)
    months = catalog.retention_months() if months is None else months
    report = PurgeReport(cutoff=months_before(now, months), months=months, dry_run=dry_run)
    for dossier in due(session, report.cutoff):
        report.dossier_ids.append(dossier.id)
        if not dry_run:
            anonymise(session, dossier, "anonymise", None, f"durée de conservation ({months} mois) écoulée", now)
    return report


def erase_person(session: Session, dossier_id: int, actor_id: int | None) -> bool:
    """Anonymise a dossier now, whatever its status, at the person's request. False if no such
    dossier. The caller commits."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        return False
    anonymise(session, dossier, "effacement_demande", actor_id, "effacement demandé par la personne")
    now = datetime.now(timezone.utc)
    for appointment in dossier.appointments:  # no one to meet any more: free the slot
        if appointment.status == "confirme" and appointment.slot.starts_at > now:
            appointment.status = "annule"
    return True
