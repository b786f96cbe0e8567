"""End to end, with the real servers and SMTP_URL pointing at a local SMTP server (aiosmtpd): a
booking over the REST webhook sends the person a confirmation holding the reference and a
text/calendar part, and the team an alert; a call-back request made while the mail server is
down, with the web app killed and restarted meanwhile, is acknowledged once the server is back
(the back-off's first minute is skipped by moving the mail's next attempt to now).
Each message arrives once. Own servers (embedded SQLite), since the web app's sender needs SMTP_URL.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.ops import supervisor
from bot.store import db, dossiers, outbox
from bot.store.statuses import MailStatus
from bot.store.tables import OutgoingMail
from tests.support.servers import Chat
from tests.support.smtp_server import body, plain, subject


def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.5)
    return predicate()


def test_booking_over_rest_sends_the_confirmation_and_the_alert(stack):
    group, smtp = stack
    chat = Chat(group.settings)
    chat.say("bonjour")
    chat.say("je voudrais faire un plan pour le numerique de mon restaurant")
    chat.say("oui")
    chat.say("non")
    chat.say("non pas vraiment")
    chat.say("des explications plus simples")  # « Qu'est-ce qui vous manque ? »
    chat.say("oui")
    chat.say('/ask_human{"mode_contact": "rendez_vous"}')
    chat.say("oui")
    chat.say("Sandrine")
    replies = chat.say("sandrine.roux@example.org")
    first = chat.buttons(replies)[0]
    assert re.search(r"\((téléphone|visio)\) avec (Camille|Karim)$", first["title"]), first["title"]
    text = chat.texts(chat.say(first["payload"]))
    reference = re.search(r"RDV-[A-Z0-9]{6}", text).group(0)

    confirmations = wait_for(lambda: smtp.to("sandrine.roux@example.org"), 60)
    assert len(confirmations) == 1
    [confirmation] = confirmations
    assert reference in subject(confirmation)
    assert reference in body(confirmation)
    [calendar] = [p for p in confirmation.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST" and reference in calendar.get_content()
    alerts = wait_for(lambda: [m for m in smtp.messages if subject(m).startswith("Nouveau rendez-vous")], 30)
    assert alerts and all("Sandrine" in body(m) for m in alerts)
    assert all("sandrine.roux" not in body(m) for m in alerts)
    time.sleep(12)  # more passes of the sender: nothing sent twice
    assert len(smtp.to("sandrine.roux@example.org")) == 1


def pending_mails(settings, conversation: str) -> list[tuple[int, datetime | None]]:
    """(attempts, next attempt) of each mail still waiting for the conversation's dossier."""
    with db.session(settings.database_url) as session:
        dossier_id = dossiers.by_conversation(session, conversation).id
        rows = session.execute(
            select(OutgoingMail.attempts, OutgoingMail.next_attempt_at).where(
                OutgoingMail.dossier_id == dossier_id, OutgoingMail.status == MailStatus.PENDING.value
            )
        )
        return [tuple(row) for row in rows]


def back_off_over(settings, conversation: str) -> None:
    """The clock moves on past the back-off: the conversation's waiting mails are due now."""
    with db.session(settings.database_url) as session:
        dossier_id = dossiers.by_conversation(session, conversation).id
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.dossier_id == dossier_id, OutgoingMail.status == MailStatus.PENDING.value)
            .values(next_attempt_at=datetime.now(timezone.utc))
        )
        session.commit()


def test_a_callback_acknowledgement_waits_for_the_mail_server_and_survives_a_restart(stack):
    group, smtp = stack
    smtp.stop()
    try:
        chat = Chat(group.settings)
        before = datetime.now(timezone.utc)
        chat.ask_human("rappel")  # asks for a person, then chooses « Être rappelé »
        chat.say("oui")
        chat.say("Paul")
        chat.say("paul.martin@example.org")
        chat.say("le matin apres 10h")
        assert "vous écrira" in chat.texts(chat.say("pas de date"))  # an e-mail only
        refused = wait_for(lambda: [m for m in pending_mails(group.settings, chat.sender) if m[0] >= 1], 30)
        assert refused, "the sender did not try"  # it tried, was refused, and waits a minute before the next try
        first_wait = before + timedelta(seconds=outbox.FIRST_RETRY_SECONDS)
        assert all(attempts == 1 and next_attempt_at >= first_wait for attempts, next_attempt_at in refused), refused
        web = group.processes["web"]
        os.killpg(web.pid, signal.SIGKILL)  # the web app crashes
        web.wait()
    finally:
        smtp.start()  # also for the other tests on these servers
    group.start("web", supervisor.web_server_command(group.settings))
    group.wait_until("web", supervisor.web_server_ready, 120)
    back_off_over(group.settings, chat.sender)  # rather than wait the minute out
    acks = wait_for(lambda: smtp.to("paul.martin@example.org"), 60)
    assert len(acks) == 1
    text = body(acks[0])
    with db.session(group.settings.database_url) as session:  # the moment as the assistant said it back
        moment = dossiers.by_conversation(session, chat.sender).callbacks[-1].preferred_moment
    assert moment and "matin" in moment and f"Le moment que vous avez indiqué : {plain(moment)}" in text, text
    time.sleep(12)  # more passes of the sender: nothing sent twice
    assert len(smtp.to("paul.martin@example.org")) == 1
