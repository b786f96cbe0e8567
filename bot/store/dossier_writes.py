"""The writes the actions make to a conversation's dossier, as typed commands.

Each write is a small frozen dataclass (`RecordNeed(intent, confidence)`, …) whose `apply(session,
conversation_id, now)` calls the store function that does it (bot/store/dossiers.py, scheduling.py);
`now` is the moment of the write, which the caller takes from its clock (the actions' `record`
passes `clock.now()`, the spool keeps it with the entry so that a replay writes the same moment).
`actions/dossier.py::record` takes them, `bot/store/spool.py` keeps those the database refused and
replays them later: on disk each is a JSON object with a `kind` field (`to_json`, `from_json`).

`from_json` also reads the spool's former format, a `[name, [arguments…]]` pair (a deployment may
have such a spool file on disk): the arguments are the command's fields in order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Union

from sqlalchemy.orm import Session

from bot.store import dossiers, review_inbox, scheduling


@dataclass(frozen=True)
class RecordNeed:
    """A need the assistant recognised (dossiers.record_need)."""

    kind: ClassVar[str] = "record_need"
    intent: str
    confidence: float | None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_need(session, conversation_id, self.intent, self.confidence, now=now)


@dataclass(frozen=True)
class ConfirmLatestNeed:
    """The person said yes (or no) to the need said back (dossiers.confirm_latest_need)."""

    kind: ClassVar[str] = "confirm_latest_need"
    confirmed: bool

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.confirm_latest_need(session, conversation_id, self.confirmed, now=now)


@dataclass(frozen=True)
class UpdateProfile:
    """Profile answers (sector, size…) merged into the dossier's (dossiers.update_profile)."""

    kind: ClassVar[str] = "update_profile"
    values: dict[str, str]

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.update_profile(session, conversation_id, self.values, now=now)


@dataclass(frozen=True)
class RecordAnswer:
    """The answer given to a need: its nature, the solutions presented, the structures (dossiers.record_answer)."""

    kind: ClassVar[str] = "record_answer"
    need: str
    nature: str
    solutions: list[str]
    redirect: list[str]

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_answer(session, conversation_id, self.need, self.nature, self.solutions, self.redirect, now=now)


@dataclass(frozen=True)
class RecordAssessment:
    """The maturity questions' result (dossiers.record_assessment)."""

    kind: ClassVar[str] = "record_assessment"
    maturity_level: int
    skill_level: str
    nature: str
    profile: dict[str, str]
    answers: dict[str, str | None] | None = None  # {question id: answer id, None when skipped}

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_assessment(
            session, conversation_id, self.maturity_level, self.skill_level, self.nature, self.profile, self.answers, now=now
        )


@dataclass(frozen=True)
class RecordRedirect:
    """Structures named in a message the person received, and the topic of an out-of-scope request
    (dossiers.record_redirect)."""

    kind: ClassVar[str] = "record_redirect"
    structures: list[str]
    topic: str | None = None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_redirect(session, conversation_id, self.structures, self.topic, now=now)


@dataclass(frozen=True)
class RecordOpened:
    """The person opened a piste's details (dossiers.record_opened)."""

    kind: ClassVar[str] = "record_opened"
    solution: str

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_opened(session, conversation_id, self.solution, now=now)


@dataclass(frozen=True)
class RecordMissing:
    """What the person said was missing after « Pas vraiment » (dossiers.record_missing)."""

    kind: ClassVar[str] = "record_missing"
    missing: str

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_missing(session, conversation_id, self.missing, now=now)


@dataclass(frozen=True)
class RecordAnswered:
    """Whether the answer helped (dossiers.record_answered)."""

    kind: ClassVar[str] = "record_answered"
    answered: bool

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_answered(session, conversation_id, self.answered, now=now)


@dataclass(frozen=True)
class RecordLeave:
    """The leave-taking answers (dossiers.record_leave)."""

    kind: ClassVar[str] = "record_leave"
    follow_up: bool | None
    satisfaction: int | None
    comment: str | None = None
    deadline: date | None = None
    follow_up_on: date | None = None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_leave(
            session, conversation_id, self.follow_up, self.satisfaction, self.comment, self.deadline, self.follow_up_on, now=now
        )


@dataclass(frozen=True)
class RecordContact:
    """Contact details with the moment consent was given (dossiers.record_contact)."""

    kind: ClassVar[str] = "record_contact"
    name: str | None
    email: str | None
    phone: str | None
    consent_at: datetime | None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.record_contact(session, conversation_id, self.name, self.email, self.phone, self.consent_at, now=now)


@dataclass(frozen=True)
class RequestCallback:
    """A call-back request (scheduling.request_callback)."""

    kind: ClassVar[str] = "request_callback"
    preferred_moment: str | None
    deadline: date | None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        scheduling.request_callback(session, conversation_id, self.preferred_moment, self.deadline, now=now)


@dataclass(frozen=True)
class RequestSynthesis:
    """The synthesis of the exchange, to send to the person (dossiers.request_synthesis)."""

    kind: ClassVar[str] = "request_synthesis"

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        dossiers.request_synthesis(session, conversation_id, now=now)


@dataclass(frozen=True)
class RecordFirstMessage:
    """How the assistant read the conversation's first message (review_inbox.record_first_message:
    only the first counts; no dossier is created), dated like every write by its `now`."""

    kind: ClassVar[str] = "record_first_message"
    text: str
    reading: str  # bot/domain/review.py READINGS
    intent: str | None
    confidence: float | None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        review_inbox.record_first_message(
            session, conversation_id, self.text, self.reading, self.intent, self.confidence, now=now
        )


@dataclass(frozen=True)
class FirstMessageDenied:
    """The person said « non » to `need` said back: the first message's reading was wrong if it
    was that one (review_inbox.person_said_no)."""

    kind: ClassVar[str] = "first_message_denied"
    need: str | None

    def apply(self, session: Session, conversation_id: str, now: datetime) -> None:
        review_inbox.person_said_no(session, conversation_id, self.need)


DossierWrite = Union[
    RecordNeed,
    ConfirmLatestNeed,
    UpdateProfile,
    RecordAnswer,
    RecordAssessment,
    RecordRedirect,
    RecordOpened,
    RecordMissing,
    RecordAnswered,
    RecordLeave,
    RecordContact,
    RequestCallback,
    RequestSynthesis,
    RecordFirstMessage,
    FirstMessageDenied,
]
KINDS: dict[str, type[DossierWrite]] = {
    kind.kind: kind
    for kind in (
        RecordNeed,
        ConfirmLatestNeed,
        UpdateProfile,
        RecordAnswer,
        RecordAssessment,
        RecordRedirect,
        RecordOpened,
        RecordMissing,
        RecordAnswered,
        RecordLeave,
        RecordContact,
        RequestCallback,
        RequestSynthesis,
        RecordFirstMessage,
        FirstMessageDenied,
    )
}


def encode(value: Any) -> Any:
    """JSON for a field's value: dates and datetimes tagged, so that they come back as such."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        if set(value) == {"$date"}:
            return date.fromisoformat(value["$date"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def to_json(write: DossierWrite) -> dict[str, Any]:
    """`RecordNeed("x", 0.9)` -> `{"kind": "record_need", "intent": "x", "confidence": 0.9}`."""
    return {"kind": write.kind, **{f.name: encode(getattr(write, f.name)) for f in dataclasses.fields(write)}}


def from_json(data: Any) -> DossierWrite:
    """A command from its JSON, or from the former `[name, [arguments…]]` pair; ValueError if it
    is not one of the writes above (or its fields do not fit)."""
    if isinstance(data, dict):
        fields = {k: v for k, v in data.items() if k != "kind"}
        command, arguments, named = KINDS.get(data.get("kind", "")), [], decode(fields)
    elif isinstance(data, (list, tuple)) and len(data) == 2 and isinstance(data[1], list):
        command, arguments, named = KINDS.get(data[0]), decode(data[1]), {}
    else:
        raise ValueError(f"not a dossier write: {data!r:.80}")
    if command is None:
        raise ValueError(f"not a dossier write: {data!r:.80}")
    if command is RecordFirstMessage:
        named.pop("at", None)  # its former own moment: the entry's `at` is the same, and is what applies
    try:
        return command(*arguments, **named)
    except TypeError as exc:
        raise ValueError(f"{command.kind}: {exc}") from exc
