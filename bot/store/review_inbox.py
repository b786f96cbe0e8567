"""The review inbox (« Phrases à revoir », issue 28): each conversation's first message as the
assistant read it, the ones it misread grouped by their words for a mediator, their decisions
(the right need, « hors sujet », or dismissed) with who and when, the decided examples for
`bot export-training`, and the weekly readings for the activity page.

The rules (what needs a review, how words are grouped and masked) are in bot/domain/review.py.
The actions record the reading (bot/store/dossier_writes.py: RecordFirstMessage,
FirstMessageDenied) without creating a dossier; closing a dossier with « le tri n'était pas
juste » decides its first message (casework.close). The text is the person's own words: it goes
with the conversation (retention.py calls `forget`, `forget_before`). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import review
from bot.store import conversations, errors
from bot.store.tables import Dossier, FirstMessage, FirstMessageDecision, Mediator

MAX_TEXT_CHARS = 2000  # what the channels accept is shorter; a longer text is cut
IN_BOX = "boite"  # FirstMessageDecision.how: decided in the inbox
AT_CLOSING = "cloture"  # decided when a dossier was closed with a corrected triage


class ReviewError(errors.Refused, ValueError):
    """A refused decision, with a French reason for the mediator."""


def _in_review() -> Any:
    """SQL: the first messages a mediator should read again (review.needs_review)."""
    return and_(
        FirstMessage.text.is_not(None),
        or_(
            FirstMessage.correction.is_not(None),
            FirstMessage.reading.in_([review.MENU, review.NOT_UNDERSTOOD]),
            FirstMessage.confidence < review.LOW_CONFIDENCE,
        ),
    )


def _get(session: Session, conversation_id: str) -> FirstMessage | None:
    return session.execute(select(FirstMessage).where(FirstMessage.conversation_id == conversation_id)).scalar_one_or_none()


def record_first_message(
    session: Session,
    conversation_id: str,
    text: str,
    reading: str,
    intent: str | None,
    confidence: float | None,
    *,
    now: datetime,
) -> bool:
    """How the assistant read the conversation's first message; only the first one counts (False
    when the conversation already has one, or the text is empty)."""
    if reading not in review.READINGS:
        raise ValueError(f"unknown reading {reading!r}")
    text = (text or "").strip()[:MAX_TEXT_CHARS]
    if not text or _get(session, conversation_id) is not None:
        return False
    row = FirstMessage(
        conversation_id=conversation_id,
        received_at=now,
        reading=reading,
        intent=intent,
        confidence=confidence,
        text=text,
        words=review.words(text),
    )
    try:
        with session.begin_nested():  # two workers of one conversation: the unique id settles it
            session.add(row)
    except IntegrityError:
        return False
    return True


def person_said_no(session: Session, conversation_id: str, need: str | None) -> bool:
    """The person answered « non » to the need said back: if that was the reading of their first
    message, it was wrong."""
    row = _get(session, conversation_id)
    if row is None or row.reading != review.NEED_SAID_BACK or row.correction is not None or row.intent != need:
        return False
    row.correction = review.BY_PERSON
    return True


def _first_typed(session: Session, conversation_id: str) -> str | None:
    """The person's first typed message in Rasa's events (button payloads skipped)."""
    for _id, type_name, _at, event in conversations._said_events(session, conversation_id):
        said = (event.get("text") or "").strip()
        if type_name == "user" and said and not said.startswith("/"):
            return said
    return None


def triage_corrected(session: Session, dossier: Dossier, need: str, mediator_id: int | None, *, now: datetime) -> bool:
    """A mediator closed the dossier saying the triage was wrong and naming the right need: its
    first message (read back from the conversation when the assistant did not record it) is
    corrected and decided. False when there is no typed first message."""
    row = _get(session, dossier.conversation_id)
    if row is None:
        text = _first_typed(session, dossier.conversation_id)
        if text is None:
            return False
        first_need = dossier.needs[0] if dossier.needs else None
        record_first_message(
            session,
            dossier.conversation_id,
            text,
            review.NEED_SAID_BACK,
            first_need.intent if first_need else None,
            first_need.confidence if first_need else None,
            now=dossier.created_at or now,
        )
        row = _get(session, dossier.conversation_id)
    if row is None or row.text is None:
        return False
    row.correction = review.BY_MEDIATOR
    _decide_rows(session, [row], need, mediator_id, AT_CLOSING, now)
    return True


def _decide_rows(
    session: Session, rows: list[FirstMessage], decision: str, actor_id: int | None, how: str, now: datetime
) -> None:
    for row in rows:
        row.decision, row.decided_by, row.decided_at = decision, actor_id, now
        session.add(FirstMessageDecision(first_message_id=row.id, actor_id=actor_id, decision=decision, how=how, created_at=now))
    session.flush()


def decide(session: Session, entry_id: int, decision: str, actor_id: int, *, now: datetime) -> int:
    """A mediator's decision on a first message, for every message to review with the same words;
    how many were decided."""
    if not review.is_decision(decision):
        raise ReviewError("Choisissez un besoin, « Hors sujet » ou « Écarter ».")
    entry = session.get(FirstMessage, entry_id)
    if entry is None or entry.text is None or entry.words is None:
        raise ReviewError("Cette phrase n'est plus à revoir (effacée avec sa conversation).")
    rows = list(
        session.execute(
            select(FirstMessage).where(_in_review(), FirstMessage.words == entry.words).order_by(FirstMessage.id)
        ).scalars()
    )
    if entry not in rows:
        rows.append(entry)
    _decide_rows(session, rows, decision, actor_id, IN_BOX, now)
    return len(rows)


@dataclass(frozen=True)
class Group:
    """The first messages to review that have the same words, as the console shows them."""

    entry_id: int  # the newest one (a decision on it decides the group)
    text: str  # the newest one's text, masked
    count: int
    latest: datetime
    reasons: tuple[str, ...]  # why they are here (review.why), each once
    understood: tuple[str, ...]  # the needs the assistant said back, each once
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None


def _names(dossier: Dossier | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if dossier is None:
        return (), ()
    company = (dossier.profile or {}).get("entreprise")
    return (dossier.contact_name or "",), ((company,) if isinstance(company, str) else ())


def groups(session: Session, *, decided: bool = False, limit: int = 200) -> list[Group]:
    """The groups to review (decided: those already decided), the most recent first. Texts are
    masked (review.masked) with the names and company known from each one's dossier."""
    state = FirstMessage.decision.is_not(None) if decided else FirstMessage.decision.is_(None)
    rows = session.execute(
        select(FirstMessage, Dossier, Mediator.name)
        .outerjoin(Dossier, Dossier.conversation_id == FirstMessage.conversation_id)
        .outerjoin(Mediator, Mediator.id == FirstMessage.decided_by)
        .where(_in_review(), state)
        .order_by(FirstMessage.received_at.desc(), FirstMessage.id.desc())
    ).all()
    grouped: dict[tuple[str, str | None], list] = {}
    for row in rows:
        message = row[0]
        grouped.setdefault((message.words, message.decision if decided else None), []).append(row)
    result = []
    for members in list(grouped.values())[:limit]:
        newest, dossier, decider = members[0]
        names, companies = _names(dossier)
        result.append(
            Group(
                entry_id=newest.id,
                text=review.masked(newest.text, names, companies),
                count=len(members),
                latest=newest.received_at,
                reasons=tuple(dict.fromkeys(review.why(m.reading, m.confidence, m.correction) for m, _, _ in members)),
                understood=tuple(dict.fromkeys(m.intent for m, _, _ in members if m.intent)),
                decision=newest.decision,
                decided_by=decider,
                decided_at=newest.decided_at,
            )
        )
    return result


def pending_count(session: Session) -> int:
    """How many groups wait for a decision (counted by the database, not fetched)."""
    count = select(func.count(distinct(FirstMessage.words))).where(_in_review(), FirstMessage.decision.is_(None))
    return session.execute(count).scalar_one()


def decided_examples(session: Session) -> list[tuple[str, str]]:
    """(masked text, intent) of every decided first message that teaches the model something
    (a need, or « hors sujet » as out_of_scope), oldest first."""
    rows = session.execute(
        select(FirstMessage, Dossier)
        .outerjoin(Dossier, Dossier.conversation_id == FirstMessage.conversation_id)
        .where(FirstMessage.text.is_not(None), FirstMessage.decision.is_not(None))
        .order_by(FirstMessage.received_at, FirstMessage.id)
    ).all()
    examples = []
    for message, dossier in rows:
        intent = review.training_intent(message.decision)
        if intent is not None:
            names, companies = _names(dossier)
            examples.append((review.masked(message.text, names, companies), intent))
    return examples


def decisions_of(session: Session, entry_id: int) -> list[FirstMessageDecision]:
    """The audit trail of one first message, oldest first."""
    return list(
        session.execute(
            select(FirstMessageDecision)
            .where(FirstMessageDecision.first_message_id == entry_id)
            .order_by(FirstMessageDecision.id)
        ).scalars()
    )


@dataclass(frozen=True)
class Reading:
    received_at: datetime
    reading: str
    confidence: float | None
    correction: str | None


def readings(session: Session, lower: datetime, upper: datetime) -> list[Reading]:
    """How the first messages received from `lower` (included) to `upper` (excluded) were read
    (no text: for the activity figures)."""
    rows = session.execute(
        select(FirstMessage.received_at, FirstMessage.reading, FirstMessage.confidence, FirstMessage.correction).where(
            FirstMessage.received_at >= lower, FirstMessage.received_at < upper
        )
    ).all()
    return [Reading(*row) for row in rows]


def forget(session: Session, conversation_id: str) -> None:
    """The conversation is erased or purged: its first message's words go; how it was read and
    what was decided stay for the figures."""
    session.execute(
        update(FirstMessage)
        .where(FirstMessage.conversation_id == conversation_id)
        .values(text=None, words=None)
        .execution_options(synchronize_session="fetch")
    )


def forget_before(session: Session, cutoff: datetime, keep: set[str]) -> int:
    """The words of the first messages received before `cutoff` go, except those of the
    conversations in `keep` (open cases a mediator still works on); how many."""
    ids = [
        row_id
        for row_id, conversation_id in session.execute(
            select(FirstMessage.id, FirstMessage.conversation_id).where(
                FirstMessage.received_at < cutoff, FirstMessage.text.is_not(None)
            )
        ).all()
        if conversation_id not in keep
    ]
    if ids:
        session.execute(
            update(FirstMessage)
            .where(FirstMessage.id.in_(ids))
            .values(text=None, words=None)
            .execution_options(synchronize_session="fetch")
        )
    return len(ids)
