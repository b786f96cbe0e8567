"""The link in the confirmation e-mail (in-process web app, SQLite and PostgreSQL): it shows the
appointment, cancels it or moves it to another free slot, frees the slot (the console's agenda
shows it free again), and is refused when forged, altered, made for another purpose or expired."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.mail import links
from bot.store import casework, db, scheduling
from bot.store.tables import Appointment, DossierAudit, OutgoingMail
from tests.support.mail import (
    BEFORE,
    START,
    book,
    send,
    web_signing_links,  # noqa: F401 (the `web` fixture)
)
from tests.support.mail import LINK_SECRET as SECRET
from tests.support.smtp_server import SmtpServer, body, plain


@pytest.fixture
def emailed_link(url):
    server = SmtpServer().start()
    try:
        reference = book(url)
        send(url, server, BEFORE)
        [confirmation] = server.to("marie.dupont@example.org")
        link = re.search(r"https://mediation\.example\.org(/rendez-vous/\S+)", body(confirmation)).group(1)
        return reference, link
    finally:
        server.stop()


def slot_of(url, reference):
    with db.session(url) as session:
        appointment = session.execute(select(Appointment).where(Appointment.reference == reference)).scalar_one()
        return appointment.slot_id, appointment.status, appointment.sequence


def test_the_page_shows_the_appointment_and_other_free_slots(web, emailed_link):
    reference, link = emailed_link
    page = web.get(link)
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    assert reference in plain(html.unescape(page.text)) and "mardi 8 janvier 2030 à 10 h" in plain(html.unescape(page.text))
    assert "<dd>téléphone</dd>" in page.text and "Camille" in plain(html.unescape(page.text))
    assert "mardi 8 janvier 2030 à 11 h avec Camille (téléphone)" in plain(html.unescape(page.text))


def test_cancelling_frees_the_slot_and_the_console_shows_it(web, url, emailed_link):
    reference, link = emailed_link
    slot_id, _, _ = slot_of(url, reference)
    response = web.post(link + "/annuler", follow_redirects=True)
    assert response.status_code == 200 and "Votre rendez-vous est annulé" in plain(html.unescape(response.text))
    assert slot_of(url, reference)[1:] == ("annule", 1)
    with db.session(url) as session:
        assert slot_id in {s.id for s in scheduling.free_slots(session, after=BEFORE, limit=10)}
        [appointment] = casework.upcoming_appointments(session, None, BEFORE)  # the agenda's list
        assert appointment.status == "annule"
        audit = session.execute(select(DossierAudit.detail).where(DossierAudit.action == "rdv_annule")).scalar_one()
        assert "par la personne" in audit
        kinds = set(session.execute(select(OutgoingMail.kind)).scalars())
    assert "rdv_annulation" in kinds  # the person is told by e-mail, with METHOD:CANCEL
    again = web.post(link + "/annuler")
    assert again.status_code == 409 and "déjà annulé" in html.unescape(again.text)


def test_moving_takes_another_free_slot_and_frees_the_first(web, url, emailed_link):
    reference, link = emailed_link
    first, _, _ = slot_of(url, reference)
    with db.session(url) as session:
        other = [s.id for s in scheduling.free_slots(session, after=BEFORE, limit=10) if s.id != first][0]
    response = web.post(link + "/deplacer", data={"creneau": str(other)}, follow_redirects=True)
    assert response.status_code == 200 and "Votre rendez-vous est déplacé" in plain(html.unescape(response.text))
    assert slot_of(url, reference) == (other, "confirme", 1)
    with db.session(url) as session:
        assert first in {s.id for s in scheduling.free_slots(session, after=BEFORE, limit=10)}
        keys = set(session.execute(select(OutgoingMail.dedupe_key)).scalars())
    assert f"rdv_confirmation:{reference}:1" in keys  # a new confirmation, SEQUENCE 1

    assert web.post(link + "/deplacer", data={"creneau": "abc"}).status_code == 409
    assert web.post(link + "/deplacer", data={"creneau": str(other)}).status_code == 409  # already there


def test_a_slot_taken_meanwhile_is_refused_politely(web, url, emailed_link):
    reference, link = emailed_link
    with db.session(url) as session:
        other = [s for s in scheduling.free_slots(session, after=BEFORE, limit=10)][0]
        scheduling.book_slot(session, "someone-else", other.id, now=BEFORE)
        session.commit()
    response = web.post(link + "/deplacer", data={"creneau": str(other.id)})
    assert response.status_code == 409 and "vient d'être pris" in plain(html.unescape(response.text))
    assert slot_of(url, reference)[1] == "confirme"


def test_forged_altered_foreign_or_expired_links_are_refused(web, url, emailed_link, monkeypatch):
    reference, link = emailed_link
    token = link.rsplit("/", 1)[1]
    forged = links.appointment_token("another-secret", reference, START)
    reset = links.reset_token(SECRET, 1, "hash", now=BEFORE)  # signed by us, for another purpose
    for bad in (forged, token[:-2] + "xx", reset, "nimportequoi"):
        page = web.get(f"/rendez-vous/{bad}")
        assert page.status_code == 404 and "plus valable" in plain(html.unescape(page.text)), bad
        assert web.post(f"/rendez-vous/{bad}/annuler").status_code == 404
    monkeypatch.setattr(clock, "now", lambda: START + timedelta(minutes=1))  # after the appointment
    assert web.get(link).status_code == 404
    assert web.post(link + "/annuler").status_code == 404
    assert slot_of(url, reference)[1] == "confirme"
