"""A durable local spool for dossier writes the database refused (stopped, unreachable, locked).

The actions describe each write as a typed command (bot/store/dossier_writes.py: `RecordNeed`,
`RecordContact`…, each a JSON object with a `kind` field on disk) and the conversation id, so
that a write that failed after its retries can be kept in a file under `var/spool/` (one JSON
line each, fsync'ed) and replayed, in order, once the database answers
again. Several action-server workers may share the file: an exclusive lock guards it.

A write never brings back what was erased: the writes of a conversation whose dossier is
anonymised (erased by the person, or purged by the retention rule) are dropped (`apply`), and so
are those of a conversation erased before its first dossier write reached the database, whichever
machine's spool holds them (its tombstone, bot/store/erasures.py); the web app also drops its own
spool's entries of a conversation erased from the chat (`Spool.discard`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.store import db, erasures
from bot.store.dossier_writes import DossierWrite, from_json, to_json
from bot.store.tables import Dossier

logger = logging.getLogger(__name__)


def erased(session: Session, conversation_id: str) -> bool:
    """Whether the conversation's dossier was anonymised (erased, or purged by the retention rule),
    or, without a dossier, the conversation was erased (its tombstone, bot/store/erasures.py)."""
    row = session.execute(select(Dossier.anonymised_at).where(Dossier.conversation_id == conversation_id)).first()
    if row is not None:
        return row.anonymised_at is not None
    return erasures.was_erased(session, conversation_id)


def apply(session: Session, conversation_id: str, writes: Sequence[DossierWrite], now: datetime) -> bool:
    """Apply the writes (`write.apply(session, conversation_id, now)`) in one session. False, writing
    nothing, when the conversation's dossier was anonymised: a write queued (or spooled) before
    the erasure must not put the person's data back."""
    if erased(session, conversation_id):
        logger.info("dossier write for an erased conversation dropped")
        return False
    for write in writes:
        write.apply(session, conversation_id, now)
    return True


def write_now(database_url: str, conversation_id: str, writes: Sequence[DossierWrite], now: datetime) -> bool:
    """One attempt, the writes made at `now`. False only when the database is unavailable (worth keeping for later); any
    other error is logged and the write dropped, so that one bad entry never blocks the spool.

    A boundary (the actions' and the spool replay's unit of work): it owns its session, and the
    writes are committed together when the `begin()` block ends, or not at all."""
    try:
        with db.session(database_url) as session, session.begin():
            apply(session, conversation_id, writes, now)
        return True
    except (OperationalError, InterfaceError):
        logger.warning("database unavailable for the dossier of %s", conversation_id)
        return False
    except (SQLAlchemyError, ValueError, TypeError):
        logger.exception("dossier write for %s dropped", conversation_id)
        return True


class Spool:
    def __init__(self, directory: Path):
        self.path = directory / "spool" / "dossier-writes.jsonl"

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, conversation_id: str, writes: Sequence[DossierWrite], at: datetime) -> None:
        """Keep the writes made at `at` (kept with them: the replay writes that moment, not its own)."""
        entry = {"conversation_id": conversation_id, "at": at.isoformat(), "steps": [to_json(w) for w in writes]}
        line = json.dumps(entry, ensure_ascii=False)
        with self._locked(), open(self.path, "a", encoding="utf-8") as spool:
            spool.write(line + "\n")
            spool.flush()
            os.fsync(spool.fileno())

    def discard(self, conversation_id: str) -> int:
        """Drop the conversation's entries (it was erased); how many there were."""
        if not self.path.exists():
            return 0
        with self._locked():
            entries = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
            rest = [e for e in entries if e["conversation_id"] != conversation_id]
            if len(rest) != len(entries):
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in rest), encoding="utf-8")
                os.replace(temporary, self.path)
            return len(entries) - len(rest)

    def pending(self) -> int:
        if not self.path.exists():
            return 0
        return sum(1 for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip())

    def replay(self, write: Callable[[str, list[DossierWrite], datetime], bool], now: datetime) -> int:
        """Give each spooled entry, in order, to `write(conversation_id, writes, at) -> bool` (`at`:
        when the writes were made; `now` for an entry spooled before that was kept); stop at
        the first that fails (the database is still away) and keep it and the rest. Returns how
        many were written. An entry that is not a known write (`dossier_writes.from_json`) is
        logged and dropped, so that it never blocks the spool; entries of the former
        `[name, [arguments…]]` format are read as the same commands."""
        if not self.path.exists():
            return 0
        with self._locked():
            entries = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
            done = 0
            for entry in entries:
                try:
                    writes = [from_json(step) for step in entry["steps"]]
                except ValueError:
                    logger.exception("spooled dossier write for %s dropped", entry["conversation_id"])
                    done += 1
                    continue
                at = datetime.fromisoformat(entry["at"]) if "at" in entry else now
                if not write(entry["conversation_id"], writes, at):
                    break
                done += 1
            rest = entries[done:]
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in rest), encoding="utf-8")
            os.replace(temporary, self.path)  # atomic: a crash leaves the old or the new file
            return done
