"""Every read and write of the store, as small functions taking a session.

None of them commits: the caller (action, route, CLI command) does. A race the database settles
(a unique index) runs in a savepoint, so losing it never discards the caller's other writes."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, selectinload

from bot.store import erasures, notifications
from bot.store.tables import (
    DOSSIER_STATUSES,
    SLOT_MODES,
    Appointment,
    Callback,
    Dossier,
    DossierNeed,
    Mediator,
    OutgoingMail,
    Slot,
    utcnow,
)
from bot.store.statuses import AppointmentStatus


class SlotTaken(Exception):
    """Someone else booked this slot first."""


# --- dossiers -----------------------------------------------------------------------------


def get_or_create_dossier(session: Session, conversation_id: str) -> Dossier:
    """The conversation's dossier, created if need be; never for an erased conversation
    (erasures.ConversationErased: what the person erased is not recreated)."""
    dossier = session.execute(select(Dossier).where(Dossier.conversation_id == conversation_id)).scalar_one_or_none()
    if dossier is not None:
        return dossier
    if erasures.was_erased(session, conversation_id):
        raise erasures.ConversationErased("no dossier for an erased conversation")
    try:
        with session.begin_nested():  # the unique conversation id settles a race
            dossier = Dossier(conversation_id=conversation_id, profile={}, solutions=[], redirect=[])
            session.add(dossier)
    except IntegrityError:  # created concurrently by another request of the same conversation: only the savepoint is undone
        return session.execute(select(Dossier).where(Dossier.conversation_id == conversation_id)).scalar_one()
    return dossier


def record_need(session: Session, conversation_id: str, intent: str, confidence: float | None) -> DossierNeed:
    """A need the assistant recognised. If the person had just said no to the previous one,
    that one is marked as corrected to this need (training material for the triage)."""
    previous = _latest_need(session, conversation_id)
    if previous is not None and previous.confirmed is False and previous.corrected_to is None:
        previous.corrected_to = intent
    dossier = get_or_create_dossier(session, conversation_id)
    need = DossierNeed(dossier=dossier, intent=intent, confidence=confidence)
    session.add(need)
    dossier.updated_at = utcnow()
    session.flush()
    return need


def _latest_need(session: Session, conversation_id: str) -> DossierNeed | None:
    return session.execute(
        select(DossierNeed)
        .join(Dossier)
        .where(Dossier.conversation_id == conversation_id)
        .order_by(DossierNeed.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def confirm_latest_need(session: Session, conversation_id: str, confirmed: bool) -> DossierNeed | None:
    need = _latest_need(session, conversation_id)
    if need is not None:
        need.confirmed = confirmed
        need.dossier.updated_at = utcnow()
    return need


def update_profile(session: Session, conversation_id: str, values: dict[str, str]) -> Dossier:
    dossier = get_or_create_dossier(session, conversation_id)
    if values:
        dossier.profile = {**(dossier.profile or {}), **values}  # new dict: JSON columns track assignment
        dossier.updated_at = utcnow()
    return dossier


def record_answer(
    session: Session, conversation_id: str, need: str, nature: str, solutions: list[str], redirect: list[str]
) -> Dossier:
    """The solutions and structures presented for a need (accumulated over the conversation)."""
    dossier = record_redirect(session, conversation_id, redirect)
    dossier.solutions = list(dict.fromkeys([*(dossier.solutions or []), *solutions]))
    dossier.nature = dossier.nature or nature  # the person's own answer, when given, wins
    dossier.updated_at = utcnow()
    return dossier


def record_assessment(
    session: Session,
    conversation_id: str,
    maturity_level: int,
    skill_level: str,
    nature: str,
    profile: dict[str, str],
) -> Dossier:
    dossier = update_profile(session, conversation_id, profile)
    dossier.maturity_level = maturity_level
    dossier.skill_level = skill_level
    dossier.nature = nature
    dossier.updated_at = utcnow()
    return dossier


def record_redirect(session: Session, conversation_id: str, structures: list[str]) -> Dossier:
    dossier = get_or_create_dossier(session, conversation_id)
    dossier.redirect = list(dict.fromkeys([*(dossier.redirect or []), *structures]))
    dossier.updated_at = utcnow()
    return dossier


def record_leave(
    session: Session,
    conversation_id: str,
    follow_up: bool | None,
    satisfaction: int | None,
    comment: str | None = None,
    deadline: date | None = None,
    follow_up_on: date | None = None,
) -> Dossier:
    """The leave-taking answers: follow-up wish, satisfaction, comment; the deadline the person gave
    and, when they want a follow-up and can be reached (consent and a contact), when to make it
    (ignored otherwise)."""
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValueError("satisfaction is a score from 1 to 5")
    dossier = get_or_create_dossier(session, conversation_id)
    if not follow_up or dossier.consent_at is None or not (dossier.contact_email or dossier.contact_phone):
        follow_up_on = None  # nobody could make it: no date in the mediators' queue
    dossier.follow_up = follow_up
    dossier.satisfaction = satisfaction
    dossier.satisfaction_comment = comment
    dossier.deadline = deadline or dossier.deadline
    dossier.follow_up_on = follow_up_on
    dossier.updated_at = utcnow()
    return dossier


def request_synthesis(session: Session, conversation_id: str) -> bool:
    """Queue the synthesis of the exchange for the person (once per dossier); False when there is
    no consented e-mail address to send it to."""
    dossier = get_or_create_dossier(session, conversation_id)
    session.flush()
    return notifications.synthesis_requested(session, dossier)


def record_answered(session: Session, conversation_id: str, answered: bool) -> Dossier:
    dossier = get_or_create_dossier(session, conversation_id)
    dossier.answered = answered
    dossier.updated_at = utcnow()
    return dossier


def record_contact(
    session: Session,
    conversation_id: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    consent_at: datetime | None,
) -> Dossier:
    """Contact details, only ever stored together with the time consent was given."""
    if consent_at is None:
        raise ValueError("contact details need the person's consent")
    dossier = get_or_create_dossier(session, conversation_id)
    dossier.contact_name = name or dossier.contact_name
    dossier.contact_email = email or dossier.contact_email
    dossier.contact_phone = phone or dossier.contact_phone
    dossier.consent_at = consent_at
    dossier.updated_at = utcnow()
    return dossier


def list_dossiers(session: Session, status: str | None = None) -> list[Dossier]:
    if status is not None and status not in DOSSIER_STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(DOSSIER_STATUSES)}")
    query = (
        select(Dossier)
        .options(selectinload(Dossier.needs), selectinload(Dossier.appointments), selectinload(Dossier.callbacks))
        .order_by(Dossier.updated_at.desc())
    )
    if status:
        query = query.where(Dossier.status == status)
    return list(session.execute(query).scalars())


def get_dossier(session: Session, dossier_id: int) -> Dossier | None:
    return session.get(Dossier, dossier_id)


def dossier_as_dict(dossier: Dossier) -> dict[str, Any]:
    """The dossier as plain data (for `--json` and the console)."""
    appointment = next((a for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED), None)
    callback = dossier.callbacks[-1] if dossier.callbacks else None
    return {
        "id": dossier.id,
        "conversation_id": dossier.conversation_id,
        "status": dossier.status,
        "created_at": dossier.created_at.isoformat() if dossier.created_at else None,
        "updated_at": dossier.updated_at.isoformat() if dossier.updated_at else None,
        "needs": [
            {"intent": n.intent, "confidence": n.confidence, "confirmed": n.confirmed, "corrected_to": n.corrected_to}
            for n in dossier.needs
        ],
        "profile": dossier.profile or {},
        "maturity_level": dossier.maturity_level,
        "skill_level": dossier.skill_level,
        "nature": dossier.nature,
        "solutions": dossier.solutions or [],
        "answered": dossier.answered,
        "redirect": dossier.redirect or [],
        "appointment": None
        if appointment is None
        else {
            "reference": appointment.reference,
            "starts_at": appointment.slot.starts_at.isoformat(),
            "mediator": appointment.slot.mediator.name,
        },
        "callback": None
        if callback is None
        else {
            "preferred_moment": callback.preferred_moment,
            "deadline": callback.deadline.isoformat() if callback.deadline else None,
        },
        "contact": {
            "name": dossier.contact_name,
            "email": dossier.contact_email,
            "phone": dossier.contact_phone,
            "consent_at": dossier.consent_at.isoformat() if dossier.consent_at else None,
        },
        "satisfaction": dossier.satisfaction,
        "satisfaction_comment": dossier.satisfaction_comment,
        "follow_up": dossier.follow_up,
        "deadline": dossier.deadline.isoformat() if dossier.deadline else None,
        "follow_up_on": dossier.follow_up_on.isoformat() if dossier.follow_up_on else None,
        "synthesis_mail": synthesis_mail(dossier),
        "summary": summary(dossier),
    }


def synthesis_mail(dossier: Dossier) -> dict[str, Any] | None:
    """The synthesis of the exchange e-mailed at the person's request: its state, or None if not asked."""
    session = object_session(dossier)
    if session is None or dossier.id is None:
        return None
    mail = session.execute(
        select(OutgoingMail).where(OutgoingMail.dossier_id == dossier.id, OutgoingMail.kind == "synthese")
    ).scalar_one_or_none()
    if mail is None:
        return None
    return {"status": mail.status, "sent_at": mail.sent_at.isoformat() if mail.sent_at else None}


def summary(dossier: Dossier) -> str:
    """A few plain sentences a mediator reads first (derived, so never out of date)."""
    confirmed = [n.intent for n in dossier.needs if n.confirmed]
    unconfirmed = [n.intent for n in dossier.needs if n.confirmed is None]
    parts = [f"Besoins confirmés : {', '.join(confirmed) or 'aucun'}."]
    if unconfirmed:
        parts.append(f"Non confirmés : {', '.join(unconfirmed)}.")
    if dossier.maturity_level:
        parts.append(f"Maturité {dossier.maturity_level}/4, compétences {dossier.skill_level}, besoin {dossier.nature}.")
    if dossier.solutions:
        verdict = {True: "ont répondu au besoin", False: "n'ont pas suffi", None: "sans avis"}[dossier.answered]
        parts.append(f"Pistes présentées ({verdict}) : {', '.join(dossier.solutions)}.")
    if dossier.redirect:
        parts.append(f"Orienté vers : {', '.join(dossier.redirect)}.")
    appointment = next((a for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED), None)
    if appointment:
        parts.append(f"Rendez-vous {appointment.reference} le {appointment.slot.starts_at:%d/%m/%Y %H:%M} UTC.")
    if dossier.callbacks:
        callback = dossier.callbacks[-1]
        deadline = f", avant le {callback.deadline:%d/%m/%Y}" if callback.deadline else ""
        parts.append(f"À rappeler ({callback.preferred_moment or 'moment libre'}{deadline}).")
    if dossier.follow_up_on:
        deadline = f", échéance le {dossier.deadline:%d/%m/%Y}" if dossier.deadline else ""
        parts.append(f"Suivi à faire le {dossier.follow_up_on:%d/%m/%Y}{deadline}.")
    elif dossier.follow_up:
        parts.append("Suivi souhaité, sans coordonnées.")
    elif dossier.deadline:
        parts.append(f"Échéance le {dossier.deadline:%d/%m/%Y}.")
    return " ".join(parts)


# --- mediators and slots ------------------------------------------------------------------


def add_mediator(session: Session, name: str, email: str) -> Mediator:
    name, email = name.strip(), email.strip().lower()
    if not name or "@" not in email:
        raise ValueError("a mediator needs a name and a valid e-mail")
    if mediator_by_email(session, email) is not None:
        raise ValueError(f"a mediator with e-mail {email} already exists")
    try:
        with session.begin_nested():  # the unique e-mail settles a race
            mediator = Mediator(name=name, email=email)
            session.add(mediator)
    except IntegrityError as exc:
        raise ValueError(f"a mediator with e-mail {email} already exists") from exc
    return mediator


def mediator_by_email(session: Session, email: str) -> Mediator | None:
    return session.execute(select(Mediator).where(Mediator.email == email.strip().lower())).scalar_one_or_none()


def open_slots(
    session: Session,
    mediator: Mediator,
    starts: list[datetime],
    minutes: int,
    mode: str = "telephone",
    place: str | None = None,
    hours=None,
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


def book_slot(session: Session, conversation_id: str, slot_id: int) -> Appointment:
    """Book a slot for a conversation's dossier; SlotTaken if someone else has it.

    The unique index on confirmed appointments makes the database the referee, so concurrent
    bookings of the same slot cannot both succeed. The insert runs in a savepoint: a lost race
    undoes only it, and the caller's other writes (the dossier, its contact) stand.
    """
    dossier = get_or_create_dossier(session, conversation_id)
    if session.get(Slot, slot_id) is None:
        raise ValueError(f"no slot {slot_id}")
    try:
        with session.begin_nested():
            appointment = Appointment(slot_id=slot_id, dossier_id=dossier.id, reference=new_reference())
            session.add(appointment)
    except IntegrityError as exc:
        raise SlotTaken(slot_id) from exc
    notifications.appointment_booked(session, appointment, dossier)  # in the same transaction
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


def request_callback(session: Session, conversation_id: str, preferred_moment: str | None, deadline: date | None) -> Callback:
    dossier = get_or_create_dossier(session, conversation_id)
    callback = Callback(dossier=dossier, preferred_moment=preferred_moment, deadline=deadline)
    session.add(callback)
    dossier.updated_at = utcnow()
    session.flush()
    notifications.callback_requested(session, callback, dossier)
    return callback


def count_mediators(session: Session) -> int:
    return session.execute(select(func.count(Mediator.id))).scalar_one()
