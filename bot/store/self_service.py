"""What a person may do to their own appointment through the link in their e-mail: see it,
cancel it, or move it to another free slot. Each change is audited on the dossier (actor: none,
« par la personne »), tells the person by e-mail, and frees the old slot for others. The page
that calls these commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import casework, errors, notifications, scheduling
from bot.store.statuses import AppointmentStatus
from bot.store.tables import Appointment, Slot


class SelfServiceError(errors.Refused, ValueError):
    """A refused change, with a French reason to show the person."""


def appointment(session: Session, reference: str) -> Appointment | None:
    return session.execute(select(Appointment).where(Appointment.reference == reference)).scalar_one_or_none()


def _changeable(found: Appointment | None, now: datetime) -> Appointment:
    if found is None:
        raise SelfServiceError("Ce rendez-vous n'existe plus.")
    if found.status != AppointmentStatus.CONFIRMED:
        raise SelfServiceError("Ce rendez-vous est déjà annulé.")
    if found.slot.starts_at <= now:
        raise SelfServiceError("L'heure de ce rendez-vous est passée : il ne peut plus être modifié ici.")
    return found


def other_free_slots(session: Session, *, now: datetime, limit: int = 12) -> list[Slot]:
    return scheduling.free_slots(session, after=now, limit=limit)


CANCELLED_BY = {
    "lien": "par la personne (lien reçu par e-mail)",
    "effacement": "par la personne (effacement de sa conversation)",
}


def cancel(session: Session, reference: str, *, now: datetime, how: str = "lien") -> Appointment:
    """The person cancels: the slot is freed (the appointment stays, CANCELLED with its sequence
    raised, so the mediator's calendar feed says so), the dossier's audit says it, the person gets
    the cancellation and the mediators their alert. `how`: « lien » (the e-mailed link) or
    « effacement » (they erased their conversation: their address goes now, nothing is sent to it)."""
    found = _changeable(appointment(session, reference), now)
    scheduling.cancel_appointment(session, reference)
    casework.audit(session, found.dossier, None, "rdv_annule", f"{reference}, {CANCELLED_BY[how]}", at=now)
    if how != "effacement":
        notifications.appointment_cancelled(session, found, found.dossier, now=now)
    notifications.appointment_cancelled_by_person(session, found, found.dossier, how, now=now)
    return found


def cancel_upcoming(session: Session, dossier_id: int, *, now: datetime, how: str) -> list[Appointment]:
    """Cancel, as `cancel` does, each of the dossier's confirmed appointments still to come."""
    upcoming = session.execute(
        select(Appointment)
        .join(Slot)
        .where(Appointment.dossier_id == dossier_id, Appointment.status == AppointmentStatus.CONFIRMED, Slot.starts_at > now)
        .order_by(Slot.starts_at)
    ).scalars()
    return [cancel(session, found.reference, now=now, how=how) for found in list(upcoming)]


def move(session: Session, reference: str, slot_id: int, *, now: datetime) -> Appointment:
    found = _changeable(appointment(session, reference), now)
    slot = session.get(Slot, slot_id)
    if slot is None or slot.starts_at <= now:
        raise SelfServiceError("Ce créneau n'est plus proposé. Choisissez-en un autre.")
    if slot.id == found.slot_id:
        raise SelfServiceError("C'est déjà l'heure de votre rendez-vous.")
    try:
        moved = scheduling.move_appointment(session, reference, slot_id)
    except scheduling.SlotTaken:
        raise SelfServiceError("Ce créneau vient d'être pris par quelqu'un d'autre. Choisissez-en un autre.") from None
    casework.audit(session, moved.dossier, None, "rdv_deplace", f"{reference}, par la personne (lien reçu par e-mail)", at=now)
    notifications.appointment_confirmation(session, moved, moved.dossier, now=now)
    return moved
