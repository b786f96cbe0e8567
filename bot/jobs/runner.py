"""The one way periodic jobs run: each turn of a job in one worker only, across the web app's
workers and servers (`make run-prod` starts two workers; several hosts may share PostgreSQL).

Every worker keeps a loop per job, but before each turn it asks the database for it
(`bot/store/job_turns.py::take_turn`): one conditional UPDATE on the job's row in `job_turns` succeeds only once the
previous turn's lease is over, so exactly one worker gets each turn. A worker that dies holding
a turn loses it when the lease ends. A job whose work belongs to one machine (the spool of
dossier writes lives in that machine's `var/`) names the machine in its job name.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from bot import clock
from bot.store import db
from bot.store.job_turns import take_turn

logger = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta  # one turn per period, across all workers
    work: Callable[[], Awaitable[object]]


def _take_turn_now(database_url: str, job: Job, now: datetime) -> bool:
    with db.session(database_url) as session:
        taken = take_turn(session, job.name, HOLDER, now=now, lease=job.every)
        session.commit()
        return taken


async def run_forever(job: Job, database_url: str, now: Callable[[], datetime] = clock.now) -> None:
    """Ask for a turn every period; do the work when given it. Never raises: the web app goes on."""
    seconds = job.every.total_seconds()
    while True:
        try:
            if await run_in_threadpool(_take_turn_now, database_url, job, now()):
                await job.work()
        except SQLAlchemyError:
            logger.exception("job %s: the database does not answer; next try in %.0f s", job.name, seconds)
        except Exception:
            logger.exception("job %s failed; next turn in %.0f s", job.name, seconds)
        await asyncio.sleep(seconds)
