"""The retention rule, daily: `bot purge` without its command line (bot/store/retention.py), then
the .eml copies of the purged dossiers' mails and every copy older than KEEP_EML_DAYS
(bot/mail/transport.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from bot import clock
from bot.jobs import runner
from bot.mail import transport
from bot.store import db, retention

logger = logging.getLogger(__name__)
EVERY_SECONDS = 24 * 3600


def purge(database_url: str, outbox_dir: Path | None = None) -> int:
    """One purge, committed; how many conversations went."""
    now = clock.now()
    with db.session(database_url) as session:
        report = retention.purge(session, now=now)
        session.commit()
    if outbox_dir is not None:
        transport.remove_copies(outbox_dir, report.message_ids)
        transport.prune_copies(outbox_dir, now=now)
    return report.count


def job(database_url: str, outbox_dir: Path | None = None) -> runner.Job:
    """One purge a day, in one worker of one server (bot/jobs/runner.py)."""

    async def one_purge() -> None:
        count = await run_in_threadpool(purge, database_url, outbox_dir)
        if count:
            logger.info("retention: %d conversation(s) past the retention period purged", count)

    return runner.Job("retention_purge", timedelta(seconds=EVERY_SECONDS), one_purge)
