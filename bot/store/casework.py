"""The mediators' work on dossiers: the queue, claiming with a lease, notes, status changes, closing.

Every change leaves a DossierAudit row (who, what, when). A claim is a lease: if its holder does
nothing on the dossier for `lease_minutes`, the dossier goes back to the queue; any action of
the holder renews it. Claiming is one conditional UPDATE, so when two mediators claim at once,
exactly one wins. Nothing here commits: the console route does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from bot.domain import catalog
from bot.settings import PARIS
from bot.store import dossiers, errors, review_inbox
from bot.store.statuses import AppointmentStatus, DossierStatus, LiveState
from bot.store.tables import Appointment, Callback, Dossier, DossierAudit, DossierNote, LiveChat, Slot

# An urgent dossier whose person asked for nobody is listed while its last activity is this recent:
# what is urgent is read from the conversation, and the queue (reloaded every minute) cannot read
# every open conversation of the retention period each time (1 to 2 ms each); a week is the
# horizon of what is urgent (a deadline within 7 days, an attack in progress).
UNASKED_URGENT_DAYS = 7
MAX_NOTE_CHARS = 5000
MAX_OUTCOME_CHARS = 2000
TRANSITIONS = {
    DossierStatus.NEW: {DossierStatus.IN_PROGRESS, DossierStatus.CLOSED},
    DossierStatus.IN_PROGRESS: {DossierStatus.NEW, DossierStatus.CLOSED},
    DossierStatus.CLOSED: {DossierStatus.IN_PROGRESS},
}


class CaseworkError(errors.Refused, ValueError):
    """A refused action, with a French reason to show the mediator."""


def audit(
    session: Session, dossier: Dossier, actor_id: int | None, action: str, detail: str | None = None, *, at: datetime
) -> None:
    session.add(DossierAudit(dossier_id=dossier.id, actor_id=actor_id, action=action, detail=detail, created_at=at))


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    dossier: Dossier
    reason: str  # why a human is needed, in French
    due: datetime | None  # appointment time, call-back deadline or follow-up date
    waiting_since: datetime
    urgent: tuple[str, ...] = ()  # why it is urgent (bot/domain/synthesis.py), empty when it is not


def no_request_reason(dossier: Dossier) -> str:
    """Why an urgent dossier whose person asked for nobody is in the queue, and whether a mediator
    has a way to reach them: only the contact details they gave (with their consent)."""
    given = [label for label, value in (("téléphone", dossier.contact_phone), ("e-mail", dossier.contact_email)) if value]
    if not given:
        return "sans demande de contact ni coordonnées"
    return f"sans demande de contact ; coordonnées laissées : {', '.join(given)}"


def listed_reason(dossier: Dossier, urgent: bool) -> str | None:
    """Why a dossier waits for a human, as the queue and the dossier page say it: its request, or,
    for an urgent open dossier whose person asked for nobody, that it has none."""
    reason = waiting_reason(dossier)
    if reason is None and urgent and dossier.status != DossierStatus.CLOSED:
        return no_request_reason(dossier)
    return reason


def live_waiting(dossier: Dossier) -> bool:
    return any(chat.state == LiveState.WAITING for chat in dossier.live_chats)


def waiting_reason(dossier: Dossier) -> str | None:
    if live_waiting(dossier):
        return "attend un médiateur en direct"
    if any(chat.state == LiveState.ACTIVE for chat in dossier.live_chats):
        return "échange en direct"
    if any(a.status == AppointmentStatus.CONFIRMED for a in dossier.appointments):
        return "rendez-vous"
    if dossier.callbacks:
        return "rappel"
    if dossier.answered is False:
        return "réponse insuffisante"
    if dossier.follow_up and dossier.follow_up_on:
        return f"suivi à faire le {dossier.follow_up_on:%d/%m/%Y}"
    if dossier.follow_up and dossier.anonymised_at is None:
        return "suivi demandé"
    if dossier.status == DossierStatus.IN_PROGRESS:
        return "en cours"
    return None


def _due(dossier: Dossier) -> datetime | None:
    moments = [a.slot.starts_at for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED]
    for callback in dossier.callbacks:
        if callback.deadline:
            moments.append(datetime.combine(callback.deadline, datetime.min.time(), tzinfo=PARIS))
    if dossier.follow_up and dossier.follow_up_on:
        # a day, not a moment: midnight in Paris, which the console shows as the date alone
        moments.append(datetime.combine(dossier.follow_up_on, datetime.min.time(), tzinfo=PARIS))
    return min(moments) if moments else None


def queue(
    session: Session,
    *,
    now: datetime,
    status: str | None = None,
    need: str | None = None,
    mediator_id: int | None = None,
) -> list[QueueEntry]:
    """Dossiers waiting for a human, most urgent first: people waiting live in the chat, then the
    urgent ones (bot/domain/synthesis.py: a deadline within a week, a penalty, a cyber attack),
    then by nearest deadline, then the longest wait.

    An urgent dossier is listed even when the person asked for nobody (no appointment, call back,
    live chat…) if its last activity is within UNASKED_URGENT_DAYS: its reason says so
    (`no_request_reason`). What is urgent is read from the transcripts of these dossiers and of
    those waiting, together (`dossiers.urgencies`: one query per 500 conversations); a closed
    dossier is listed only when the closed ones are asked for."""
    release_expired(session, now=now)
    query = select(Dossier).options(
        selectinload(Dossier.needs),
        selectinload(Dossier.appointments).selectinload(Appointment.slot).selectinload(Slot.mediator),
        selectinload(Dossier.callbacks),
        selectinload(Dossier.assignee),
        selectinload(Dossier.live_chats),
    )
    query = query.where(Dossier.status == status) if status else query.where(Dossier.status != DossierStatus.CLOSED)
    if mediator_id:
        query = query.where(Dossier.assigned_to == mediator_id)
    recent = now - timedelta(days=UNASKED_URGENT_DAYS)
    found = []  # (dossier, why it waits for a human; None: only if urgent)
    for dossier in session.execute(query).scalars():
        if need and not any(n.intent == need for n in dossier.needs):
            continue
        reason = waiting_reason(dossier) or (DossierStatus.CLOSED.value if dossier.status == DossierStatus.CLOSED else None)
        if reason is not None or dossier.updated_at >= recent:
            found.append((dossier, reason))
    urgent = dossiers.urgencies(session, [dossier for dossier, _ in found], now)
    entries = [
        QueueEntry(dossier, reason or no_request_reason(dossier), _due(dossier), dossier.created_at, urgent.get(dossier.id, ()))
        for dossier, reason in found
        if reason is not None or dossier.id in urgent
    ]
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(entries, key=lambda e: (not live_waiting(e.dossier), not e.urgent, e.due or far, e.waiting_since))


@dataclass(frozen=True)
class NewRequest:
    """A dossier that has just asked for a human: an appointment booked, a call back requested."""

    key: str  # stable: « rendez_vous:12 », « rappel:7 » (the console notifies each once)
    kind: str  # rendez_vous | rappel
    dossier: Dossier
    at: datetime


def recent_requests(session: Session, *, since: datetime) -> list[NewRequest]:
    """Appointments booked (still confirmed) and call backs requested since `since`, oldest first."""
    appointments = session.execute(
        select(Appointment)
        .where(Appointment.created_at >= since, Appointment.status == AppointmentStatus.CONFIRMED)
        .options(selectinload(Appointment.dossier).selectinload(Dossier.needs))
    ).scalars()
    callbacks = session.execute(
        select(Callback).where(Callback.created_at >= since).options(selectinload(Callback.dossier).selectinload(Dossier.needs))
    ).scalars()
    found = [NewRequest(f"rendez_vous:{a.id}", "rendez_vous", a.dossier, a.created_at) for a in appointments]
    found += [NewRequest(f"rappel:{c.id}", "rappel", c.dossier, c.created_at) for c in callbacks]
    return sorted(found, key=lambda r: r.at)


def counts_by_status(session: Session) -> dict[str, int]:
    counts = {s.value: 0 for s in DossierStatus}
    for (status,) in session.execute(select(Dossier.status)):
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- claiming -------------------------------------------------------------------------------


def release_expired(session: Session, *, now: datetime) -> int:
    """Dossiers whose claim lapsed go back to the queue."""
    lapsed = (
        session.execute(
            select(Dossier).where(
                Dossier.assigned_to.is_not(None), Dossier.lease_until < now, Dossier.status != DossierStatus.CLOSED
            )
        )
        .scalars()
        .all()
    )
    for dossier in lapsed:
        audit(session, dossier, None, "bail_expire", f"réservation de la personne n°{dossier.assigned_to} expirée", at=now)
        dossier.assigned_to, dossier.lease_until, dossier.status = None, None, DossierStatus.NEW
        dossier.updated_at = now
    return len(lapsed)


def claim(session: Session, dossier_id: int, mediator_id: int, lease_minutes: int, *, now: datetime) -> bool:
    """Take a dossier; False if someone else holds a valid claim or it is closed.

    The conditional UPDATE settles a race: the loser's UPDATE matches no row and writes nothing,
    so there is nothing to undo and the caller's other writes stand."""
    result = session.execute(
        update(Dossier)
        .where(
            Dossier.id == dossier_id,
            Dossier.status != DossierStatus.CLOSED,
            or_(Dossier.assigned_to.is_(None), Dossier.lease_until < now, Dossier.assigned_to == mediator_id),
        )
        .values(
            assigned_to=mediator_id,
            lease_until=now + timedelta(minutes=lease_minutes),
            status=DossierStatus.IN_PROGRESS,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    dossier = session.get(Dossier, dossier_id, populate_existing=True)
    audit(session, dossier, mediator_id, "prise_en_charge", at=now)
    return True


def holds(dossier: Dossier, mediator_id: int, *, now: datetime) -> bool:
    return dossier.assigned_to == mediator_id and dossier.lease_until is not None and dossier.lease_until >= now


def _require_holder(dossier: Dossier, mediator_id: int, is_admin: bool, now: datetime) -> None:
    if dossier.status == DossierStatus.CLOSED and not is_admin:
        raise CaseworkError("Ce dossier est clos.")
    if not holds(dossier, mediator_id, now=now) and not is_admin:
        raise CaseworkError("Prenez d'abord ce dossier en charge (ou il est déjà pris par quelqu'un d'autre).")


def _renew(dossier: Dossier, mediator_id: int, lease_minutes: int, now: datetime) -> None:
    if dossier.assigned_to == mediator_id:
        dossier.lease_until, dossier.updated_at = now + timedelta(minutes=lease_minutes), now


def release(session: Session, dossier: Dossier, mediator_id: int, is_admin: bool = False, *, now: datetime) -> None:
    _require_holder(dossier, mediator_id, is_admin, now)
    dossier.assigned_to, dossier.lease_until, dossier.updated_at = None, None, now
    if dossier.status == DossierStatus.IN_PROGRESS:
        dossier.status = DossierStatus.NEW
    audit(session, dossier, mediator_id, "liberation", at=now)


# --- notes, status, closing -----------------------------------------------------------------


def add_note(
    session: Session, dossier: Dossier, mediator_id: int, body: str, lease_minutes: int, is_admin: bool = False, *, now: datetime
) -> DossierNote:
    _require_holder(dossier, mediator_id, is_admin, now)
    body = (body or "").strip()
    if not body:
        raise CaseworkError("La note est vide.")
    if len(body) > MAX_NOTE_CHARS:
        raise CaseworkError(f"La note dépasse {MAX_NOTE_CHARS} caractères.")
    note = DossierNote(dossier_id=dossier.id, author_id=mediator_id, body=body, created_at=now)
    session.add(note)
    audit(session, dossier, mediator_id, "note", at=now)
    _renew(dossier, mediator_id, lease_minutes, now)
    session.flush()  # the note's id
    return note


def change_status(
    session: Session,
    dossier: Dossier,
    mediator_id: int,
    new_status: str,
    lease_minutes: int,
    is_admin: bool = False,
    *,
    now: datetime,
) -> None:
    if new_status == DossierStatus.CLOSED:
        raise CaseworkError("Pour clore un dossier, utilisez le formulaire de clôture.")
    if new_status not in TRANSITIONS.get(dossier.status, set()):
        raise CaseworkError(f"Passage de « {dossier.status} » à « {new_status} » impossible.")
    if dossier.status == DossierStatus.CLOSED and not is_admin:
        raise CaseworkError("Seul un administrateur peut rouvrir un dossier clos.")
    if dossier.status != DossierStatus.CLOSED:
        _require_holder(dossier, mediator_id, is_admin, now)
    audit(session, dossier, mediator_id, "statut", f"{dossier.status} → {new_status}", at=now)
    dossier.status, dossier.updated_at = new_status, now
    if new_status == DossierStatus.NEW:
        dossier.assigned_to, dossier.lease_until = None, None
    else:
        dossier.assigned_to = dossier.assigned_to or mediator_id
        dossier.lease_until = now + timedelta(minutes=lease_minutes)
        dossier.closed_at = None


def close(
    session: Session,
    dossier: Dossier,
    mediator_id: int,
    outcome: str,
    triage_correct: bool,
    corrected_need: str | None,
    is_admin: bool = False,
    *,
    now: datetime,
) -> None:
    _require_holder(dossier, mediator_id, is_admin, now)
    outcome = (outcome or "").strip()
    if not outcome:
        raise CaseworkError("Indiquez en quelques mots la suite donnée.")
    if len(outcome) > MAX_OUTCOME_CHARS:
        raise CaseworkError(f"La suite donnée dépasse {MAX_OUTCOME_CHARS} caractères.")
    need_ids = {n.id for n in catalog.needs()}
    if not triage_correct:
        if corrected_need not in need_ids:
            raise CaseworkError("Le tri n'était pas juste : choisissez le bon besoin.")
    else:
        corrected_need = None
    dossier.outcome, dossier.triage_correct, dossier.corrected_need = outcome, triage_correct, corrected_need
    dossier.status, dossier.closed_at, dossier.updated_at = DossierStatus.CLOSED, now, now
    dossier.assigned_to, dossier.lease_until = None, None
    detail = "tri juste" if triage_correct else f"tri corrigé : {corrected_need}"
    audit(session, dossier, mediator_id, "cloture", detail, at=now)
    if not triage_correct and corrected_need:  # its first message, decided, in « Phrases à revoir »
        review_inbox.triage_corrected(session, dossier, corrected_need, mediator_id, now=now)


def dossier_for_console(session: Session, dossier_id: int, *, now: datetime) -> Dossier | None:
    release_expired(session, now=now)
    return session.execute(
        select(Dossier)
        .where(Dossier.id == dossier_id)
        .options(
            selectinload(Dossier.needs),
            selectinload(Dossier.notes).selectinload(DossierNote.author),
            selectinload(Dossier.audit).selectinload(DossierAudit.actor),
            selectinload(Dossier.callbacks),
            selectinload(Dossier.appointments).selectinload(Appointment.slot),
            selectinload(Dossier.assignee),
            selectinload(Dossier.live_chats).selectinload(LiveChat.mediator),
        )
    ).scalar_one_or_none()


def upcoming_appointments(session: Session, mediator_id: int | None, after: datetime) -> list[Appointment]:
    query = (
        select(Appointment)
        .join(Slot)
        .where(Slot.starts_at >= after - timedelta(days=1))
        .options(selectinload(Appointment.slot).selectinload(Slot.mediator), selectinload(Appointment.dossier))
        .order_by(Slot.starts_at)
    )
    if mediator_id:
        query = query.where(Slot.mediator_id == mediator_id)
    return list(session.execute(query).scalars())
