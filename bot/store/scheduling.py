"""Appointment slots, appointments (booked, cancelled, moved) and call-back requests.

None of these functions commits: the caller (action, route, CLI command) does. Two bookings of one
slot are settled by a unique index, in a savepoint: the loser gets SlotTaken and its other writes
stand."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.domain.opening_hours import OpeningHours
from bot.store import errors, notifications
from bot.store.dossiers import get_or_create_dossier, touch
from bot.store.statuses import AppointmentStatus
from bot.store.tables import SLOT_MODES, Appointment, Callback, Mediator, Slot


class SlotTaken(errors.Refused):
    """Someone else booked this slot first."""


def open_slots(
    session: Session,
    mediator: Mediator,
    starts: list[datetime],
    minutes: int,
    mode: str = "telephone",
    place: str | None = None,
    hours: OpeningHours | None = None,
) -> int:
    """Open appointment slots held `mode` (SLOT_MODES; « sur_place » needs the place's address);
    already-open ones are left as they are, and with `hours` (bot.domain.opening_hours.OpeningHours) those
    outside the opening hours or on a public holiday are skipped. Returns how many were added."""
    if mode not in SLOT_MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(SLOT_MODES)}")
    place = " ".join((place or "").split())[:300] or None
    if mode == "sur_place" and not place:
        raise ValueError("a « sur_place » slot needs the address where it is held")
    existing = set(session.execute(select(Slot.starts_at).where(Slot.mediator_id == mediator.id)).scalars())
    added = 0
    for start in starts:
        end = start + timedelta(minutes=minutes)
        if start in existing or (hours is not None and not hours.covers(start, end)):
            continue
        session.add(
            Slot(mediator=mediator, starts_at=start, ends_at=end, mode=mode, place=place if mode == "sur_place" else None)
        )
        added += 1
    session.flush()
    return added


def free_slots(session: Session, after: datetime, limit: int = 3) -> list[Slot]:
    """The next slots without a confirmed appointment."""
    booked = select(Appointment.slot_id).where(Appointment.status == AppointmentStatus.CONFIRMED)
    return list(
        session.execute(
            select(Slot)
            .options(selectinload(Slot.mediator))
            .where(Slot.starts_at > after, Slot.id.not_in(booked))
            .order_by(Slot.starts_at, Slot.id)
            .limit(limit)
        ).scalars()
    )


def new_reference() -> str:
    # No 0/O or 1/I: references are read out on the phone.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "RDV-" + "".join(secrets.choice(alphabet) for _ in range(6))


def book_slot(session: Session, conversation_id: str, slot_id: int, *, now: datetime) -> Appointment:
    """Book a slot for a conversation's dossier; SlotTaken if someone else has it.

    The unique index on confirmed appointments makes the database the referee, so concurrent
    bookings of the same slot cannot both succeed. The insert runs in a savepoint: a lost race
    undoes only it, and the caller's other writes (the dossier, its contact) stand.
    """
    dossier = get_or_create_dossier(session, conversation_id, now)
    if session.get(Slot, slot_id) is None:
        raise ValueError(f"no slot {slot_id}")
    try:
        with session.begin_nested():
            appointment = Appointment(slot_id=slot_id, dossier_id=dossier.id, reference=new_reference(), created_at=now)
            session.add(appointment)
    except IntegrityError as exc:
        raise SlotTaken(slot_id) from exc
    notifications.appointment_booked(session, appointment, dossier, now=now)  # in the same transaction
    return appointment


def cancel_appointment(session: Session, reference: str) -> Appointment | None:
    appointment = session.execute(
        select(Appointment).where(Appointment.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if appointment is not None and appointment.status != AppointmentStatus.CANCELLED:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.sequence += 1
    return appointment


def move_appointment(session: Session, reference: str, slot_id: int) -> Appointment:
    """Move a confirmed appointment to another free slot; SlotTaken if it was just booked.

    The same appointment (reference, calendar UID) moves, with its SEQUENCE raised, so calendar
    apps update the event instead of adding a second one.
    """
    appointment = session.execute(
        select(Appointment).where(Appointment.reference == reference.strip().upper())
    ).scalar_one_or_none()
    if appointment is None or appointment.status != AppointmentStatus.CONFIRMED:
        raise ValueError(f"no confirmed appointment {reference}")
    if session.get(Slot, slot_id) is None:
        raise ValueError(f"no slot {slot_id}")
    try:
        with session.begin_nested():  # a lost race undoes only the move (the appointment is reloaded)
            appointment.slot_id = slot_id
            appointment.sequence += 1
    except IntegrityError as exc:
        raise SlotTaken(slot_id) from exc
    session.refresh(appointment)
    return appointment


def request_callback(
    session: Session, conversation_id: str, preferred_moment: str | None, deadline: date | None, *, now: datetime
) -> Callback:
    dossier = get_or_create_dossier(session, conversation_id, now)
    callback = Callback(dossier=dossier, preferred_moment=preferred_moment, deadline=deadline, created_at=now)
    session.add(callback)
    touch(dossier, now)
    session.flush()
    notifications.callback_requested(session, callback, dossier, now=now)
    return callback


def slot_by_id(session: Session, slot_id: int) -> Slot | None:
    return session.get(Slot, slot_id)


def appointment_by_id(session: Session, appointment_id: int | None) -> Appointment | None:
    return session.get(Appointment, appointment_id) if appointment_id is not None else None


def appointment_by_reference(session: Session, reference: str) -> Appointment | None:
    return session.execute(select(Appointment).where(Appointment.reference == reference)).scalar_one_or_none()


def callback_by_id(session: Session, callback_id: int | None) -> Callback | None:
    return session.get(Callback, callback_id) if callback_id is not None else None


def open_slots_of(session: Session, mediator: Mediator, *, after: datetime, limit: int) -> list[Slot]:
    """The mediator's slots from `after` on without a confirmed appointment, the first `limit`."""
    booked = set(session.execute(select(Appointment.slot_id).where(Appointment.status == AppointmentStatus.CONFIRMED)).scalars())
    return [s for s in mediator.slots if s.starts_at >= after and s.id not in booked][:limit]
