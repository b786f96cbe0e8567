"""The mediators' side of e-mail, on SQLite and PostgreSQL, with a real SMTP server (aiosmtpd):

- a person waiting in the live chat while nobody watches the console e-mails the mediators who
  chose the « direct » alert: when the wait starts unwatched, or when the last one watching goes
  (page closed, « Me mettre absent », idle too long); once per wait, also with racing watchers;
  dropped if someone joined before it left; the console's poll, used or not, says a page is open;
- an address the server refuses for good (5xx at RCPT TO) fails the message at once, a 4xx is
  retried, too many attempts give up; the console shows the undelivered e-mail on the dossier,
  in the queue, and lists them for the admins.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from bot import clock
from bot.jobs import live_watch
from bot.store import accounts, db, dossiers, live, outbox, scheduling
from bot.store.tables import DossierAudit, LiveChat, Mediator, OutgoingMail
from bot.web import live as live_web
from tests.support.console_client import PASSWORD, form, login, page_text
from tests.support.mail import (
    BEFORE,
    CONSENT,
    book,
    send,
    web_signing_links,  # noqa: F401 (the `web` fixture)
)
from tests.support.mail import LINK_SECRET as SECRET
from tests.support.servers import settings_for_tests
from tests.support.smtp_server import body, subject

NOW = datetime(2030, 1, 8, 9, 0, tzinfo=timezone.utc)  # 10 h 00 in Paris; never today's date
IDLE_MINUTES = 10
PICKUP_SECONDS = 180


@pytest.fixture
def team(url):
    """Camille (every alert: no choice made), Karim (call backs only), Inès (the live chat only),
    Zoé (deactivated)."""
    with db.session(url) as session:
        for name, email, alerts, active in (
            ("Camille Martin", "camille@example.org", None, True),
            ("Karim Benali", "karim@example.org", ["rappel"], True),
            ("Inès Roy", "ines@example.org", ["direct"], True),
            ("Zoé Blanc", "zoe@example.org", None, False),
        ):
            mediator = accounts.create_account(session, name, email, PASSWORD, now=NOW)
            mediator.alerts, mediator.active = alerts, active
        session.commit()


def on_duty(url, email, *, used_at, page_heard_at, available=True):
    """A mediator marked available, who last used the console at `used_at` and whose console page
    was last heard (its poll) at `page_heard_at` (None: no page ever open)."""
    with db.session(url) as session:
        session.execute(
            update(Mediator)
            .where(Mediator.email == email)
            .values(available=available, last_seen_at=used_at, console_seen_at=page_heard_at)
        )
        session.commit()


def person_waits(url, conversation="conv-live", *, at=NOW) -> int:
    with db.session(url) as session:
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=NOW)
        dossiers.confirm_latest_need(session, conversation, True, now=NOW)
        dossiers.record_contact(session, conversation, "Marie Dupont", "marie.dupont@example.org", None, CONSENT, now=NOW)
        session.commit()
        chat_id = live.request(session, conversation, now=at).id
        session.commit()
        return chat_id


def watch(url, now) -> list[int]:
    """One round of the alert part of the live watcher (bot/jobs/live_watch.py), at `now`."""
    with db.session(url) as session:
        alerted = live.alert_unwatched(session, IDLE_MINUTES, PICKUP_SECONDS, now=now)
        session.commit()
        return alerted


def alerts_queued(url) -> list[str]:
    with db.session(url) as session:
        return sorted(
            m.dedupe_key for m in session.execute(select(OutgoingMail).where(OutgoingMail.kind == "alerte_direct")).scalars()
        )


# --- someone waits in the live chat, nobody watches the console --------------------------------


def test_a_person_waiting_while_the_one_on_duty_closed_the_console_alerts_the_mediators_once(url, team, smtp):
    # Camille said she was available 5 minutes ago, then closed the console without « Me mettre absent »
    on_duty(url, "camille@example.org", used_at=NOW - timedelta(minutes=5), page_heard_at=NOW - timedelta(minutes=5))
    chat_id = person_waits(url)
    assert watch(url, NOW) == [chat_id]
    assert watch(url, NOW + timedelta(seconds=2)) == []  # once per wait
    report = send(url, smtp, NOW + timedelta(seconds=5))
    assert report.sent == 2
    assert smtp.to("karim@example.org") == [] and smtp.to("zoe@example.org") == []  # not chosen; deactivated

    [alert] = smtp.to("camille@example.org")
    assert subject(alert) == "Une personne attend dans le chat : Être plus visible en ligne"
    text = body(alert)
    assert "Marie attend un médiateur dans le chat du site depuis 10 h, pour : Être plus visible en ligne." in text
    assert "Sans réponse avant 10 h 03, l'assistant lui proposera un rendez-vous ou un rappel." in text
    with db.session(url) as session:
        dossier_id = session.get(LiveChat, chat_id).dossier_id
        audit = session.execute(select(DossierAudit).where(DossierAudit.action == "direct_alerte")).scalar_one()
        assert audit.dossier_id == dossier_id and "2 prévenu(s) par e-mail" in audit.detail
    assert f"https://mediation.example.org/mediateurs/dossiers/{dossier_id}" in text
    html_part = body(alert, "html")
    for part in (text, html_part):  # the first name and the need, nothing more
        assert "Dupont" not in part and "marie.dupont" not in part
    assert [subject(m) for m in smtp.to("ines@example.org")] == [subject(alert)]

    assert send(url, smtp, NOW + timedelta(minutes=1)).sent == 0
    assert len(smtp.messages) == 2


@pytest.mark.parametrize("goes", ["page closed", "absent", "idle"])
def test_the_alert_goes_when_the_last_one_watching_leaves_while_a_person_waits(url, team, smtp, goes):
    on_duty(url, "camille@example.org", used_at=NOW - timedelta(minutes=8), page_heard_at=NOW - timedelta(seconds=3))
    chat_id = person_waits(url)
    assert watch(url, NOW) == []  # Camille's console shows the person (banner, chime, notification)
    later = NOW + timedelta(seconds=60)
    if goes == "page closed":  # her page was last heard 3 s before the request
        assert watch(url, NOW + timedelta(seconds=live.CONSOLE_OPEN_SECONDS - 4)) == []
        later = NOW + timedelta(seconds=live.CONSOLE_OPEN_SECONDS - 2)
    elif goes == "absent":  # « Me mettre absent »
        with db.session(url) as session:
            camille = accounts.mediator_by_email(session, "camille@example.org")
            live.set_available(session, camille.id, False, now=later)
            session.commit()
    else:  # the page stays open, unused: after PRESENCE_IDLE_MINUTES she counts as away
        on_duty(url, "camille@example.org", used_at=NOW - timedelta(minutes=8), page_heard_at=later)
        assert watch(url, later) == []
        later = NOW + timedelta(minutes=2, seconds=1)
        on_duty(url, "camille@example.org", used_at=NOW - timedelta(minutes=8), page_heard_at=later)
    assert watch(url, later) == [chat_id]
    assert len(alerts_queued(url)) == 2

    # she comes back, then goes again: the same wait is not alerted twice
    on_duty(url, "camille@example.org", used_at=later, page_heard_at=later)
    assert watch(url, later + timedelta(seconds=1)) == []
    on_duty(url, "camille@example.org", used_at=later, page_heard_at=None, available=False)
    assert watch(url, later + timedelta(seconds=2)) == []
    assert len(alerts_queued(url)) == 2

    # a new wait of the same person is a new one
    with db.session(url) as session:
        live.end(session, chat_id, "timeout", now=NOW + timedelta(seconds=PICKUP_SECONDS))
        session.commit()
    second = person_waits(url, at=NOW + timedelta(minutes=5))
    assert watch(url, NOW + timedelta(minutes=5)) == [second]
    assert alerts_queued(url) == sorted(f"alerte_direct:chat{c}:m{m}" for c in (chat_id, second) for m in (1, 3))


def test_an_alert_not_sent_yet_when_someone_joins_is_dropped(url, team, smtp):
    chat_id = person_waits(url)  # nobody was ever in the console
    assert watch(url, NOW) == [chat_id]
    with db.session(url) as session:
        camille = accounts.mediator_by_email(session, "camille@example.org")
        live.join(session, chat_id, camille.id, 30, now=NOW + timedelta(seconds=3))
        session.commit()
    report = send(url, smtp, NOW + timedelta(seconds=5))
    assert report.sent == 0 and report.dropped == 2 and smtp.messages == []


def test_racing_watchers_alert_each_mediator_once(url, team):
    """Four watchers (four web workers, or two servers) see the same unwatched wait at once."""
    chat_id = person_waits(url)
    start = threading.Barrier(4)
    results, errors = [], []

    def watcher():
        try:
            start.wait()
            results.append(watch(url, NOW))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=watcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results, key=len) == [[], [], [], [chat_id]]
    assert len(alerts_queued(url)) == 2


def test_the_console_poll_says_a_page_is_open_and_the_web_apps_watcher_alerts(web, url, team, monkeypatch, smtp, tmp_path):
    """Through the web app: the 5-second poll of an unused page marks the console open without
    counting as activity; the web app's own watcher (bot/jobs/live_watch.py) sends the alert."""
    login(web, "camille@example.org")
    form(web, "/mediateurs/file", "/mediateurs/presence", {"disponible": "1"})  # at BEFORE (the web fixture's clock)
    moment = BEFORE + timedelta(seconds=30)
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert form(web, "/mediateurs/file", "/mediateurs/direct/etat.json", {"actif": "0"}).json()["available"] is True
    with db.session(url) as session:
        camille = accounts.mediator_by_email(session, "camille@example.org")
        assert camille.last_seen_at == BEFORE and camille.console_seen_at == moment

    settings = settings_for_tests(url, tmp_path, allowed_origins=(), session_secret=SECRET)
    relay = live_web.LiveRelay(settings)
    watcher = live_watch.Watcher(settings, relay)
    chat_id = person_waits(url, at=moment)

    async def round_at(at):
        monkeypatch.setattr(clock, "now", lambda: at)
        await watcher.watch_once()

    async def rounds():
        try:
            await round_at(moment + timedelta(seconds=5))
            assert alerts_queued(url) == []  # her page is open
            await round_at(moment + timedelta(seconds=live.CONSOLE_OPEN_SECONDS + 1))  # closed since
            await round_at(moment + timedelta(seconds=live.CONSOLE_OPEN_SECONDS + 3))
        finally:
            await relay.rasa.close()

    asyncio.run(rounds())
    assert alerts_queued(url) == [f"alerte_direct:chat{chat_id}:m1", f"alerte_direct:chat{chat_id}:m3"]
    assert send(url, smtp, moment + timedelta(seconds=live.CONSOLE_OPEN_SECONDS + 5)).sent == 2


def test_the_console_poll_lists_new_requests_for_the_browser_notifications(web, url, team, monkeypatch):
    """What console.js turns into notifications: each new appointment and call back (need and
    dossier number, nothing personal) and each person waiting, for RECENT_REQUESTS_MINUTES."""
    book(url)  # booked at BEFORE, the clock of the web fixture
    with db.session(url) as session:
        dossiers.record_contact(session, "conv-cb", "Paul Martin", "paul@example.org", None, CONSENT, now=NOW)
        callback = scheduling.request_callback(session, "conv-cb", "le matin", None, now=NOW)
        callback.created_at = BEFORE + timedelta(minutes=1)
        session.commit()
    chat_id = person_waits(url, at=BEFORE + timedelta(minutes=2))
    login(web, "camille@example.org")
    monkeypatch.setattr(clock, "now", lambda: BEFORE + timedelta(minutes=3))
    state = web.get("/mediateurs/direct/etat.json?actif=1").json()
    with db.session(url) as session:
        appointment_id = (
            session.execute(select(OutgoingMail.appointment_id).where(OutgoingMail.appointment_id.is_not(None))).scalars().first()
        )
        live_dossier = session.get(LiveChat, chat_id).dossier_id
    assert state["requests"] == [
        {
            "key": f"rendez_vous:{appointment_id}",
            "kind": "rendez_vous",
            "dossier": 1,  # conv-mail
            "need": "Être plus visible en ligne",
        },
        {"key": f"rappel:{callback.id}", "kind": "rappel", "dossier": 2, "need": None},  # conv-cb: no need confirmed
    ]
    assert state["waiting"] == [{"chat": chat_id, "dossier": live_dossier, "seconds": 60, "need": "Être plus visible en ligne"}]
    assert "Dupont" not in str(state) and "Martin" not in str(state)
    monkeypatch.setattr(clock, "now", lambda: BEFORE + timedelta(minutes=live_web.RECENT_REQUESTS_MINUTES, seconds=30))
    assert [r["kind"] for r in web.get("/mediateurs/direct/etat.json").json()["requests"]] == ["rappel"]


def test_choosing_the_live_chat_alert_on_ones_account(web, url, team):
    login(web, "karim@example.org")
    done = form(web, "/mediateurs/compte", "/mediateurs/compte/alertes", {"alertes": ["rappel", "direct"]})
    assert (
        "Alertes enregistrées : une personne demande à être rappelée, quelqu'un attend un médiateur dans "
        "le chat et aucun médiateur disponible n'a la console ouverte."
    ) in page_text(done)
    with db.session(url) as session:
        assert accounts.mediator_by_email(session, "karim@example.org").alerts == ["rappel", "direct"]


# --- an address refused for good ---------------------------------------------------------------

REFUSED = "inconnu@example.org"


def visible(response) -> str:
    """A page's text as read: tags out, entities decoded, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_a_refused_address_fails_at_once_and_the_console_says_to_phone(web, url, smtp):
    smtp.collector.refuse_recipients[REFUSED] = "550 5.1.1 <inconnu@example.org>: Recipient address rejected"
    reference = book(url, email=REFUSED)
    with db.session(url) as session:
        accounts.create_account(session, "Admin", "admin@example.org", PASSWORD, role="admin", now=NOW)
        mediator = accounts.mediator_by_email(session, "camille@example.org")
        accounts.set_password(mediator, PASSWORD)
        session.commit()
    report = send(url, smtp, BEFORE)
    assert report.sent == 1 and report.refused == 1  # the team's alert left; the person's confirmation did not
    with db.session(url) as session:
        [failed] = session.execute(select(OutgoingMail).where(OutgoingMail.kind == "rdv_confirmation")).scalars()
        assert failed.status == "failed" and failed.attempts == 1 and failed.last_error == "recipient refused: 550 5.1.1"
        assert REFUSED not in failed.last_error  # nothing personal in the queue
        dossier_id = failed.dossier_id
    assert send(url, smtp, BEFORE + timedelta(hours=8)).refused == 0  # never retried
    assert smtp.to(REFUSED) == []

    login(web, "camille@example.org")
    page = visible(web.get(f"/mediateurs/dossiers/{dossier_id}"))
    assert (
        "E-mail non remis : l'e-mail de confirmation du rendez-vous n'a pas pu être envoyé à la personne "
        "(refusé par le serveur de messagerie, le 06/01/2030 13:00). Prévenez-la autrement, par téléphone"
    ) in page
    assert "Détail" not in page  # the technical detail is for the admins
    assert "e-mail non remis" in visible(web.get("/mediateurs/file"))
    assert reference in page  # the appointment stands: only the e-mail failed

    admin = TestClient(web.app)
    login(admin, "admin@example.org")
    assert "Détail : recipient refused: 550 5.1.1" in visible(admin.get(f"/mediateurs/dossiers/{dossier_id}"))
    team_page = visible(admin.get("/mediateurs/equipe"))
    assert "E-mails non remis (30 derniers jours)" in team_page
    assert (
        f"06/01/2030 13:00 l'e-mail de confirmation du rendez-vous la personne du dossier n° {dossier_id} "
        "recipient refused: 550 5.1.1"
    ) in team_page
    assert REFUSED not in team_page
    assert "Aucun." not in team_page


def test_a_temporary_refusal_is_retried_and_too_many_give_up(url, smtp):
    smtp.collector.refuse_recipients[REFUSED] = "450 4.2.1 Mailbox busy, try later"
    book(url, email=REFUSED, consent=True)
    moment = BEFORE
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        send(url, smtp, moment)
        with db.session(url) as session:
            mail = session.execute(select(OutgoingMail).where(OutgoingMail.kind == "rdv_confirmation")).scalar_one()
            assert mail.attempts == attempt and mail.last_error == "recipient refused: 450 4.2.1"
            assert mail.status == ("failed" if attempt == outbox.MAX_ATTEMPTS else "pending")
            if mail.next_attempt_at:
                moment = mail.next_attempt_at
    assert smtp.to(REFUSED) == []
    with db.session(url) as session:
        assert outbox.failed_for_dossier(session, mail.dossier_id, {"rdv_confirmation"})[0].id == mail.id
