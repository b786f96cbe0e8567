"""The background sender: queue the reminders that are due, then send what is due, once.

Every web worker may run it (make run-prod runs two web apps): each message is claimed by one
conditional UPDATE (bot/store/outbox.py), so only one sender handles it, and it is marked sent
right after the server accepted it. A sender killed between the two leaves a claim that lapses
after CLAIM_SECONDS; the message is then sent again with the same Message-ID — the one case of a
duplicate, which needs the process to die within those milliseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from starlette.concurrency import run_in_threadpool

from bot import clock
from bot.jobs import runner
from bot.mail import compose, notices
from bot.mail import transport as transports
from bot.store import db, notifications, outbox

logger = logging.getLogger(__name__)
EVERY_SECONDS = 10
MESSAGE_ID_DOMAIN = "mediation-tpe"


@dataclass
class PassReport:
    reminders: int = 0
    sent: int = 0
    refused: int = 0
    dropped: int = 0


def queue_reminders(database_url: str, *, now: datetime, hours_before: int) -> int:
    with db.session(database_url) as session:
        # a reminder another worker queues at the same instant is skipped (outbox.enqueue's savepoint)
        queued = notifications.due_reminders(session, now=now, hours_before=hours_before)
        session.commit()
        return queued


def send_one(database_url: str, mail_id: int, transport, context: notices.Context, *, now: datetime) -> str | None:
    """Claim, compose and send one message; what happened, or None if another sender has it."""
    with db.session(database_url) as session:
        claim = outbox.claim(session, mail_id, now=now)
        session.commit()  # the claim holds before the mail server is reached
        if claim is None:
            return None
        mail = outbox.mail_by_id(session, mail_id)
        message_id = mail.message_id or compose.new_message_id(MESSAGE_ID_DOMAIN)
        outbox.set_message_id(session, claim, message_id)
        session.commit()  # a resent copy keeps the same Message-ID
        try:
            message = notices.compose_mail(session, mail, context, now=now, message_id=mail.message_id or message_id)
        except Exception as exc:  # a bug or bad data: counted as an attempt, so it ends in « failed »
            logger.exception("mail %d (%s) could not be composed", mail_id, mail.kind)
            session.rollback()
            outbox.mark_refused(session, claim, f"compose: {exc!r}", permanent=False, now=now)
            session.commit()
            return "refused"
        if isinstance(message, notices.Skip):
            outbox.mark_dropped(session, claim, message.why, now=now)
            session.commit()
            return "dropped"
        try:
            transport.send(message)
        except transports.Refused as refused:
            outbox.mark_refused(session, claim, str(refused), permanent=refused.permanent, now=now)
            session.commit()
            logger.warning("mail %d (%s) refused: %s", mail_id, mail.kind, refused)
            return "refused"
        outbox.mark_sent(session, claim, now=now)
        session.commit()
        return "sent"


def run_pass(
    database_url: str, transport, context: notices.Context, *, now: datetime, reminder_hours: int, limit: int = 50
) -> PassReport:
    report = PassReport(reminders=queue_reminders(database_url, now=now, hours_before=reminder_hours))
    with db.session(database_url) as session:
        outbox.prune(session, now=now)
        ids = outbox.due_ids(session, now=now, limit=limit)
        session.commit()
    for mail_id in ids:
        outcome = send_one(database_url, mail_id, transport, context, now=now)
        if outcome is not None:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def job(settings, transport=None, now: Callable[[], datetime] = clock.now) -> runner.Job:
    """One pass every EVERY_SECONDS, in one worker at a time (bot/jobs/runner.py)."""
    transport = transport or transports.from_settings(settings)
    context = notices.context_from_settings(settings)

    async def one_pass() -> None:
        report = await run_in_threadpool(
            run_pass, settings.database_url, transport, context, now=now(), reminder_hours=settings.reminder_hours
        )
        if report.sent or report.refused or report.dropped:
            logger.info(
                "mail: %d sent, %d refused (retried later), %d dropped; %d reminder(s) queued",
                report.sent,
                report.refused,
                report.dropped,
                report.reminders,
            )

    return runner.Job("mail_send", timedelta(seconds=EVERY_SECONDS), one_pass)
