"""The replay of spooled dossier writes (bot/store/spool.py), every minute.

The spool is a file of this machine's var/: each machine replays its own, so the job's name
carries the host name (bot/jobs/runner.py gives each turn to one worker of this machine)."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from functools import partial

from starlette.concurrency import run_in_threadpool

from bot import clock
from bot import settings as bot_settings
from bot.jobs import runner
from bot.store.spool import Spool, write_now

logger = logging.getLogger(__name__)
EVERY_SECONDS = 60


def job(settings: bot_settings.Settings) -> runner.Job:
    spool = Spool(settings.var_dir)

    async def replay() -> None:
        if spool.pending():
            done = await run_in_threadpool(spool.replay, partial(write_now, settings.database_url), clock.now())
            logger.info("spool: %d dossier write(s) replayed, %d waiting", done, spool.pending())

    return runner.Job(f"spool_replay@{socket.gethostname()}", timedelta(seconds=EVERY_SECONDS), replay)
