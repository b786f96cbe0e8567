"""A booking on a fixed date in 2030 and the mail sender's pass, shared by the mail and console tests
(the tests never look at today's date)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from starlette.testclient import TestClient

from bot import clock
from bot.jobs import mail_sender
from bot.mail import notices
from bot.mail.transport import SmtpTransport
from bot.settings import PARIS
from bot.store import accounts, db, dossiers, scheduling
from bot.store.tables import Appointment, Mediator
from bot.web.app import create_app
from tests.support.servers import settings_for_tests
from tests.support.smtp_server import SmtpServer

START = datetime(2030, 1, 8, 10, 0, tzinfo=PARIS)


BEFORE = datetime(2030, 1, 6, 12, 0, tzinfo=timezone.utc)  # « now » when booking: two days before


LINK_SECRET = "tests-appointment-links-Qm4v9Xr2Lw7pZt3K"  # the session secret of web_signing_links below


CONTEXT = notices.Context("https://mediation.example.org", LINK_SECRET, "Médiation TPE <mediation@example.org>")


CONSENT = datetime(2030, 1, 6, 11, 0, tzinfo=timezone.utc)


def transport(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport.from_url(server.url)


def send(url, server, now, hours=24):
    return mail_sender.run_pass(url, transport(server), CONTEXT, now=now, reminder_hours=hours)


def mediator(session, name="Camille Martin", email="camille@example.org", alerts=None) -> Mediator:
    m = accounts.add_mediator(session, name, email, now=BEFORE)
    m.alerts = alerts
    session.flush()
    return m


def book(
    url, conversation="conv-mail", email="marie.dupont@example.org", start=START, mode="telephone", place=None, consent=True
):
    with db.session(url) as session:
        m = accounts.mediator_by_email(session, "camille@example.org") or mediator(session)
        scheduling.open_slots(session, m, [start, start + timedelta(hours=1)], 45, mode=mode, place=place)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=BEFORE)
        dossiers.confirm_latest_need(session, conversation, True, now=BEFORE)
        if consent:
            dossiers.record_contact(session, conversation, "Marie Dupont", email, None, CONSENT, now=BEFORE)
        session.commit()
        slot = scheduling.free_slots(session, after=start - timedelta(minutes=1), limit=1)[0]
        appointment = scheduling.book_slot(session, conversation, slot.id, now=BEFORE)  # « two days before »
        session.commit()
        return appointment.reference


@pytest.fixture(name="web")
def web_signing_links(url, tmp_path, monkeypatch):
    """The `web` fixture of the modules that follow an e-mailed link: the app signs its links with
    LINK_SECRET (as CONTEXT does) and its clock reads BEFORE. Imported by those modules."""
    settings = settings_for_tests(url, tmp_path, allowed_origins=(), session_secret=LINK_SECRET)
    monkeypatch.setattr(clock, "now", lambda: BEFORE)  # the injected clock the routes read
    return TestClient(create_app(settings))  # no `with`: the background jobs stay off


def book_with_personal_details(session, conversation: str, start: datetime = START) -> Appointment:
    """An appointment for Martine Dupont, her company, e-mail and phone: what erasure must remove."""
    mediator = accounts.mediator_by_email(session, "camille@example.org") or accounts.add_mediator(
        session, "Camille Martin", "camille@example.org", now=BEFORE
    )
    scheduling.open_slots(session, mediator, [start], 45)
    dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=BEFORE)
    dossiers.confirm_latest_need(session, conversation, True, now=BEFORE)
    dossiers.update_profile(session, conversation, {"entreprise": "Le Fournil de Martine"}, now=BEFORE)
    dossiers.record_contact(
        session, conversation, "Martine Dupont", "martine.dupont@orange.fr", "+33612345678", BEFORE, now=BEFORE
    )
    slot = scheduling.free_slots(session, after=start - timedelta(minutes=1), limit=1)[0]
    appointment = scheduling.book_slot(session, conversation, slot.id, now=BEFORE)
    session.commit()
    return appointment
