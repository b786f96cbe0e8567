"""A conversation's dossier: created on its first write, what the assistant and the person add to
it (needs, profile, answers, assessment, redirects, leave-taking, contact), and how it reads back
(a dict for the CLI and the console, with the synthesis in words of bot/domain/synthesis.py).

None of these functions commits: the caller (action, route, CLI command) does. A race the database
settles (a unique index) runs in a savepoint, so losing it never discards the caller's other writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, selectinload

from bot.domain import situation
from bot.domain import synthesis as synthesis_text
from bot.store import conversations, erasures, notifications
from bot.store.statuses import AppointmentStatus
from bot.store.tables import DOSSIER_STATUSES, Dossier, DossierNeed, OutgoingMail


def touch(dossier: Dossier, now: datetime) -> None:
    """The dossier changed at `now`, the caller's moment (the column has no `onupdate`: every
    write of a dossier, here or in casework, live and retention, dates itself)."""
    dossier.updated_at = now


def by_conversation(session: Session, conversation_id: str) -> Dossier | None:
    """The conversation's dossier, if it has one (a read: nothing is created)."""
    return session.execute(select(Dossier).where(Dossier.conversation_id == conversation_id)).scalar_one_or_none()


def get_or_create_dossier(session: Session, conversation_id: str, now: datetime) -> Dossier:
    """The conversation's dossier, created (at `now`, the caller's moment) if need be; never for an
    erased conversation (erasures.ConversationErased: what the person erased is not recreated)."""
    dossier = by_conversation(session, conversation_id)
    if dossier is not None:
        return dossier
    if erasures.was_erased(session, conversation_id):
        raise erasures.ConversationErased("no dossier for an erased conversation")
    try:
        with session.begin_nested():  # the unique conversation id settles a race
            dossier = Dossier(
                conversation_id=conversation_id, profile={}, solutions=[], redirect=[], created_at=now, updated_at=now
            )
            session.add(dossier)
    except IntegrityError:  # created concurrently by another request of the same conversation: only the savepoint is undone
        return session.execute(select(Dossier).where(Dossier.conversation_id == conversation_id)).scalar_one()
    return dossier


def record_need(session: Session, conversation_id: str, intent: str, confidence: float | None, *, now: datetime) -> DossierNeed:
    """A need the assistant recognised. If the person had just said no to the previous one,
    that one is marked as corrected to this need (training material for the triage)."""
    previous = _latest_need(session, conversation_id)
    if previous is not None and previous.confirmed is False and previous.corrected_to is None:
        previous.corrected_to = intent
    dossier = get_or_create_dossier(session, conversation_id, now)
    need = DossierNeed(dossier=dossier, intent=intent, confidence=confidence, created_at=now)
    session.add(need)
    touch(dossier, now)
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


def confirm_latest_need(session: Session, conversation_id: str, confirmed: bool, *, now: datetime) -> DossierNeed | None:
    need = _latest_need(session, conversation_id)
    if need is not None:
        need.confirmed = confirmed
        touch(need.dossier, now)
    return need


def update_profile(session: Session, conversation_id: str, values: dict[str, str], *, now: datetime) -> Dossier:
    dossier = get_or_create_dossier(session, conversation_id, now)
    if values:
        dossier.profile = {**(dossier.profile or {}), **values}  # new dict: JSON columns track assignment
        touch(dossier, now)
    return dossier


def record_answer(
    session: Session,
    conversation_id: str,
    need: str,
    nature: str,
    solutions: list[str],
    redirect: list[str],
    *,
    now: datetime,
) -> Dossier:
    """The solutions and structures presented for a need (accumulated over the conversation)."""
    dossier = record_redirect(session, conversation_id, redirect, now=now)
    dossier.solutions = list(dict.fromkeys([*(dossier.solutions or []), *solutions]))
    dossier.nature = dossier.nature or nature  # the person's own answer, when given, wins
    touch(dossier, now)
    return dossier


def record_assessment(
    session: Session,
    conversation_id: str,
    maturity_level: int,
    skill_level: str,
    nature: str,
    profile: dict[str, str],
    answers: dict[str, str | None] | None = None,
    *,
    now: datetime,
) -> Dossier:
    """The questionnaire's result, and its answers as the person gave them ({question id: answer
    id, None when skipped}): the synthesis says « non évalué » for a part nobody answered."""
    dossier = update_profile(session, conversation_id, profile, now=now)
    if answers is not None:
        dossier.answers = dict(answers)
    dossier.maturity_level = maturity_level
    dossier.skill_level = skill_level
    dossier.nature = nature
    touch(dossier, now)
    return dossier


def record_redirect(
    session: Session, conversation_id: str, structures: list[str], topic: str | None = None, *, now: datetime
) -> Dossier:
    """Structures the person was shown (named in a message they received), and the topic of an
    out-of-scope request when that is why."""
    dossier = get_or_create_dossier(session, conversation_id, now)
    dossier.redirect = list(dict.fromkeys([*(dossier.redirect or []), *structures]))
    if topic:
        dossier.out_of_scope = list(dict.fromkeys([*(dossier.out_of_scope or []), topic]))
    touch(dossier, now)
    return dossier


def record_opened(session: Session, conversation_id: str, solution: str, *, now: datetime) -> Dossier:
    """The person opened the details of a piste."""
    dossier = get_or_create_dossier(session, conversation_id, now)
    dossier.opened = list(dict.fromkeys([*(dossier.opened or []), solution]))
    touch(dossier, now)
    return dossier


def record_missing(session: Session, conversation_id: str, missing: str, *, now: datetime) -> Dossier:
    """What the person said was missing after « Pas vraiment » (kept to 1 000 characters)."""
    dossier = get_or_create_dossier(session, conversation_id, now)
    dossier.missing = " ".join(missing.split())[:1000] or None
    touch(dossier, now)
    return dossier


def record_leave(
    session: Session,
    conversation_id: str,
    follow_up: bool | None,
    satisfaction: int | None,
    comment: str | None = None,
    deadline: date | None = None,
    follow_up_on: date | None = None,
    *,
    now: datetime,
) -> Dossier:
    """The leave-taking answers: follow-up wish, satisfaction, comment; the deadline the person gave
    and, when they want a follow-up and can be reached (consent and a contact), when to make it
    (ignored otherwise)."""
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValueError("satisfaction is a score from 1 to 5")
    dossier = get_or_create_dossier(session, conversation_id, now)
    if not follow_up or dossier.consent_at is None or not (dossier.contact_email or dossier.contact_phone):
        follow_up_on = None  # nobody could make it: no date in the mediators' queue
    dossier.follow_up = follow_up
    dossier.satisfaction = satisfaction
    dossier.satisfaction_comment = comment
    dossier.deadline = deadline or dossier.deadline
    dossier.follow_up_on = follow_up_on
    touch(dossier, now)
    return dossier


def request_synthesis(session: Session, conversation_id: str, *, now: datetime) -> bool:
    """Queue the synthesis of the exchange for the person (once per dossier); False when there is
    no consented e-mail address to send it to."""
    dossier = get_or_create_dossier(session, conversation_id, now)
    session.flush()
    return notifications.synthesis_requested(session, dossier, now=now)


def record_answered(session: Session, conversation_id: str, answered: bool, *, now: datetime) -> Dossier:
    dossier = get_or_create_dossier(session, conversation_id, now)
    dossier.answered = answered
    touch(dossier, now)
    return dossier


def record_contact(
    session: Session,
    conversation_id: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    consent_at: datetime | None,
    *,
    now: datetime,
) -> Dossier:
    """Contact details, only ever stored together with the time consent was given."""
    if consent_at is None:
        raise ValueError("contact details need the person's consent")
    dossier = get_or_create_dossier(session, conversation_id, now)
    dossier.contact_name = name or dossier.contact_name
    dossier.contact_email = email or dossier.contact_email
    dossier.contact_phone = phone or dossier.contact_phone
    dossier.consent_at = consent_at
    touch(dossier, now)
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


def dossier_as_dict(dossier: Dossier, now: datetime) -> dict[str, Any]:
    """The dossier as plain data (for `--json` and the console), with its synthesis in words as of
    `now`, the caller's moment (what is urgent depends on the day it is read)."""
    said = synthesis(object_session(dossier), dossier, now)
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
        "answers": dossier.answers,
        "opened": dossier.opened or [],
        "missing": dossier.missing,
        "out_of_scope": dossier.out_of_scope or [],
        "synthesis_mail": synthesis_mail(dossier),
        "synthesis": {
            "urgent": list(said.urgent),
            "request": list(said.request),
            "items": [list(item) for item in said.items],
            "questions": [list(q) for q in said.questions],
        },
        "summary": said.text(),
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


def synthesis_facts(session: Session | None, dossier: Dossier, now: datetime) -> synthesis_text.Facts:
    """What the dossier and the conversation's transcript hold, as the synthesis reads them: the
    person's typed messages (buttons tapped are not their words), and as their request those typed
    up to the moment the assistant recognised a need."""
    lines = conversations.transcript(session, dossier.conversation_id) if session is not None else []
    return _facts(dossier, lines, now)


def _typed(lines: Sequence[conversations.TranscriptLine]) -> list[tuple[conversations.TranscriptLine, str | None]]:
    """The person's typed lines, each with the situation question it answered: the one whose
    buttons the assistant showed since the person's previous line (bot/domain/situation.py)."""
    typed, offered = [], []
    for line in lines:
        if line.speaker == "assistant":
            offered += [button["payload"] for button in line.buttons]
        elif line.speaker == "personne":
            if not line.sent:
                typed.append((line, situation.asked_by(offered)))
            offered = []
    return typed


def _said(answering: list[tuple[conversations.TranscriptLine, str | None]]) -> dict[str, Any]:
    """The Facts fields of what the person typed: the texts, when, and the question each answered."""
    return {
        "said": tuple(line.text for line, _ in answering),
        "said_at": tuple(line.at for line, _ in answering),
        "said_to": tuple(question for _, question in answering),
    }


def _facts(dossier: Dossier, lines: Sequence[conversations.TranscriptLine], now: datetime) -> synthesis_text.Facts:
    answering = _typed(lines)
    typed = [line for line, _ in answering]
    first_need = dossier.needs[0].created_at if dossier.needs else None
    before = [line.text for line in typed if first_need is None or line.at <= first_need]
    appointment = next((a for a in dossier.appointments if a.status == AppointmentStatus.CONFIRMED), None)
    callback = dossier.callbacks[-1] if dossier.callbacks else None
    return synthesis_text.Facts(
        now=now,
        started_at=dossier.created_at,
        **_said(answering),
        request=synthesis_text.request_of(before or [line.text for line in typed]),
        needs=tuple(synthesis_text.NeedFact(n.intent, n.confidence, n.confirmed, n.corrected_to) for n in dossier.needs),
        profile=dict(dossier.profile or {}),
        answers=dossier.answers,
        maturity_level=dossier.maturity_level,
        skill_level=dossier.skill_level,
        nature=dossier.nature,
        solutions=tuple(dossier.solutions or ()),
        opened=tuple(dossier.opened or ()),
        answered=dossier.answered,
        missing=dossier.missing,
        redirect=tuple(dossier.redirect or ()),
        out_of_scope=tuple(dossier.out_of_scope or ()),
        appointment=None
        if appointment is None
        else synthesis_text.AppointmentFact(
            appointment.slot.starts_at, appointment.slot.mediator.name, appointment.reference, appointment.slot.mode
        ),
        has_callback=callback is not None,
        callback_moment=callback.preferred_moment if callback else None,
        callback_deadline=callback.deadline if callback else None,
        deadline=dossier.deadline,
        follow_up=dossier.follow_up,
        follow_up_on=dossier.follow_up_on,
    )


def synthesis(session: Session | None, dossier: Dossier, now: datetime) -> synthesis_text.Synthesis:
    """The dossier in words (bot/domain/synthesis.py): the console, the CLI and the e-mails say this."""
    return synthesis_text.synthesise(synthesis_facts(session, dossier, now))


def urgencies(session: Session, found: Sequence[Dossier], now: datetime) -> dict[int, tuple[str, ...]]:
    """{dossier id: why it is urgent} for the dossiers that are (the queue's flag). Their transcripts
    are read together, not one query per dossier; their call-backs are expected loaded with them
    (casework.queue does)."""
    lines = conversations.transcripts(session, [d.conversation_id for d in found])
    reasons = {d.id: synthesis_text.urgency(_urgency_facts(d, lines[d.conversation_id], now)) for d in found}
    return {key: value for key, value in reasons.items() if value}


def _urgency_facts(dossier: Dossier, lines: Sequence[conversations.TranscriptLine], now: datetime) -> synthesis_text.Facts:
    """The facts `synthesis.urgency` reads, as `_facts` gathers them, and only those (the queue
    reads them for every dossier it lists)."""
    answering = _typed(lines)
    callback = dossier.callbacks[-1] if dossier.callbacks else None
    return synthesis_text.Facts(
        now=now,
        **_said(answering),
        callback_deadline=callback.deadline if callback else None,
        deadline=dossier.deadline,
    )


# --- mediators and slots ------------------------------------------------------------------


def corrected_triage(session: Session, needs: Iterable[str]) -> list[tuple[str, str, str | None, dict | None]]:
    """(conversation id, corrected need, contact name, profile) of every dossier whose triage a
    mediator said was wrong, with a corrected need among `needs`, oldest dossier first."""
    rows = session.execute(
        select(Dossier.conversation_id, Dossier.corrected_need, Dossier.contact_name, Dossier.profile)
        .where(Dossier.triage_correct.is_(False), Dossier.corrected_need.in_(list(needs)))
        .order_by(Dossier.id)
    ).all()
    return [tuple(row) for row in rows]
