"""The turns of the periodic jobs (table `job_turns`, bot/jobs/runner.py): which worker of which
server runs the next turn of a job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import JobTurn


def take_turn(session: Session, name: str, holder: str, *, now: datetime, lease: timedelta) -> bool:
    """Whether `holder` gets this turn of job `name` (and holds it for `lease`). Does not commit."""
    taken = (
        session.execute(
            update(JobTurn)
            .where(JobTurn.name == name, JobTurn.lease_until <= now)
            .values(holder=holder, lease_until=now + lease, turns=JobTurn.turns + 1, last_turn_at=now)
        ).rowcount
        == 1
    )
    if taken or session.get(JobTurn, name) is not None:
        return taken
    try:  # the job's first turn ever: whoever creates its row has it
        with session.begin_nested():
            session.add(JobTurn(name=name, holder=holder, lease_until=now + lease, turns=1, last_turn_at=now))
        return True
    except IntegrityError:
        return False
