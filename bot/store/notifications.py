"""Which e-mails an event of the store queues, and for whom (the words: bot/mail/notices.py).

- The person, only if they consented and gave an e-mail address: the booking confirmation (again
  when the appointment moves), the cancellation, the acknowledgement of a call-back request.
  The synthesis of the exchange, when asked for at leave-taking.
  Reminders are queued by the sender's scan (`due_reminders`), when their time comes.
- The mediators who chose that alert (Mediator.alerts): a new appointment, a new call-back request,
  a person waiting in the live chat while nobody watches the console (bot/store/live.py).

Called inside the store function that records the event, so the message is queued in the same
transaction: booked and confirmed, or neither.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import outbox
from bot.store.statuses import AppointmentStatus
from bot.store.tables import MEDIATOR_ALERTS, Appointment, Callback, Dossier, LiveChat, Mediator, OutgoingMail, Slot


def person_reachable(dossier: Dossier) -> bool:
    return dossier.consent_at is not None and bool(dossier.contact_email) and dossier.anonymised_at is None


def mediators_alerted(session: Session, alert: str) -> list[Mediator]:
    """Active mediators who get this alert (no choice made yet: every alert)."""
    mediators = session.execute(select(Mediator).where(Mediator.active.is_(True)).order_by(Mediator.id)).scalars()
    return [m for m in mediators if alert in (m.alerts if m.alerts is not None else MEDIATOR_ALERTS)]


def _alert(session: Session, alert: str, kind: str, dossier_id: int, event_key: str, *, now: datetime, **refs: Any) -> int:
    queued = 0
    for mediator in mediators_alerted(session, alert):
        if (
            outbox.enqueue(
                session,
                kind,
                f"{kind}:{event_key}:m{mediator.id}",
                dossier_id=dossier_id,
                mediator_id=mediator.id,
                now=now,
                **refs,
            )
            is not None
        ):
            queued += 1
    return queued


def appointment_booked(session: Session, appointment: Appointment, dossier: Dossier, *, now: datetime) -> None:
    """A new appointment (the appointment row is flushed, so it has its id)."""
    if person_reachable(dossier):
        appointment_confirmation(session, appointment, dossier, now=now)
    _alert(
        session, "rendez_vous", "alerte_rendez_vous", dossier.id, appointment.reference, now=now, appointment_id=appointment.id
    )


def appointment_confirmation(session: Session, appointment: Appointment, dossier: Dossier, *, now: datetime) -> None:
    """The person's confirmation of this version of the appointment (booked, or moved: a new sequence)."""
    if person_reachable(dossier):
        outbox.enqueue(
            session,
            "rdv_confirmation",
            f"rdv_confirmation:{appointment.reference}:{appointment.sequence}",
            dossier_id=dossier.id,
            appointment_id=appointment.id,
            payload={"sequence": appointment.sequence},
            now=now,
        )


def appointment_cancelled(session: Session, appointment: Appointment, dossier: Dossier, *, now: datetime) -> None:
    if person_reachable(dossier):
        outbox.enqueue(
            session,
            "rdv_annulation",
            f"rdv_annulation:{appointment.reference}",
            dossier_id=dossier.id,
            appointment_id=appointment.id,
            payload={"sequence": appointment.sequence},
            now=now,
        )


def appointment_cancelled_by_person(
    session: Session, appointment: Appointment, dossier: Dossier, how: str, *, now: datetime
) -> int:
    """The person cancelled (their e-mailed link, or by erasing their conversation): the mediators
    who get the « rendez_vous » alert are told, once per appointment. `how`: « lien » | « effacement »."""
    return _alert(
        session,
        "rendez_vous",
        "alerte_annulation",
        dossier.id,
        appointment.reference,
        now=now,
        appointment_id=appointment.id,
        payload={"how": how},
    )


def callback_requested(session: Session, callback: Callback, dossier: Dossier, *, now: datetime) -> None:
    """A call-back request (the callback row is flushed)."""
    if person_reachable(dossier):
        outbox.enqueue(
            session,
            "rappel_accuse",
            f"rappel_accuse:{callback.id}",
            dossier_id=dossier.id,
            payload={"callback_id": callback.id},
            now=now,
        )
    _alert(session, "rappel", "alerte_rappel", dossier.id, f"c{callback.id}", now=now, payload={"callback_id": callback.id})


def synthesis_requested(session: Session, dossier: Dossier, *, now: datetime) -> bool:
    """The synthesis of the exchange, asked for at leave-taking: only to the consented address."""
    if not person_reachable(dossier):
        return False
    outbox.enqueue(session, "synthese", f"synthese:{dossier.id}", dossier_id=dossier.id, now=now)
    return True


def live_unwatched(session: Session, chat: LiveChat, *, until: datetime, now: datetime) -> int:
    """A person waits in the live chat and nobody watches the console (once per wait: the caller
    holds the chat's `alerted_at`). `until`: when the assistant offers them other ways instead.
    How many mediators are told."""
    return _alert(
        session,
        "direct",
        "alerte_direct",
        chat.dossier_id,
        f"chat{chat.id}",
        now=now,
        payload={"chat_id": chat.id, "until": until.isoformat()},
    )


def due_reminders(session: Session, *, now: datetime, hours_before: int) -> int:
    """Queue the reminder of every confirmed appointment starting within `hours_before` hours.

    One reminder per appointment time (a moved appointment gets one for its new time); none for an
    appointment booked after its reminder time — its confirmation has just said it all.
    """
    window_end = now + timedelta(hours=hours_before)
    rows = session.execute(
        select(Appointment, Slot, Dossier)
        .join(Slot, Appointment.slot_id == Slot.id)
        .join(Dossier, Appointment.dossier_id == Dossier.id)
        .where(
            Appointment.status == AppointmentStatus.CONFIRMED,
            Slot.starts_at > now,
            Slot.starts_at <= window_end,
            Dossier.consent_at.is_not(None),
            Dossier.contact_email.is_not(None),
            Dossier.anonymised_at.is_(None),
        )
    ).all()
    queued = 0
    for appointment, slot, dossier in rows:
        if appointment.created_at > slot.starts_at - timedelta(hours=hours_before):
            continue
        key = f"rdv_rappel:{appointment.reference}:{slot.starts_at.isoformat()}"
        if (
            outbox.enqueue(
                session,
                "rdv_rappel",
                key,
                dossier_id=dossier.id,
                appointment_id=appointment.id,
                payload={"starts_at": slot.starts_at.isoformat()},
                now=now,
            )
            is not None
        ):
            queued += 1
    return queued


def password_reset(session: Session, mediator: Mediator, *, nonce: str, now: datetime) -> OutgoingMail | None:
    return outbox.enqueue(
        session,
        "mdp_reinitialisation",
        f"mdp_reinitialisation:{mediator.id}:{nonce}",
        mediator_id=mediator.id,
        payload={"nonce": nonce},
        now=now,
    )
