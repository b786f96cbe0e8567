"""What ends a console session besides logging out (in-process web app, SQLite and PostgreSQL):
an admin's role change from « Équipe » (never leaving the service without an active admin),
CONSOLE_IDLE_MINUTES without the person's activity (the console's automatic polls do not count;
a mediator writing in a live chat does), and « Fermer cette session » in « Mon compte », which
lists the open sessions with their browser."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import text, update
from starlette.testclient import TestClient

from bot import clock
from bot.store import accounts, db, migrate
from bot.store.tables import ConsoleSession, Mediator, UTCDateTime
from bot.web import live as live_web
from bot.web import user_agents
from bot.web.app import create_app
from bot.web.handlers import idle_ended
from tests.support.clock import AT
from tests.support.console_client import PASSWORD, TOKEN, browser, copy_of, form, make_account, mediator_id, refused
from tests.support.live import FakeRasa, waiting_person
from tests.support.web_client import WebApp

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CLOSE = re.compile(r'action="(/mediateurs/compte/sessions/(\d+)/fermer)"')


def role_of(web, email: str) -> str:
    with db.session(web.database_url) as session:
        return session.query(Mediator).filter_by(email=email).one().role


def change_role(admin: TestClient, web, email: str, role: str):
    path = f"/mediateurs/equipe/{mediator_id(web, email)}/role"
    return form(admin, "/mediateurs/equipe", path, {"role": role})


# --- the role, from « Équipe » ------------------------------------------------------------------


def test_an_admin_changes_a_role_from_the_team_page_and_that_account_s_sessions_end(web):
    admin = browser(web, make_account(web, "admin"))
    email = make_account(web, name="Inès Martin")
    assert f'action="/mediateurs/equipe/{mediator_id(web, email)}/role"' in admin.get("/mediateurs/equipe").text

    mediator = browser(web, email)
    thief = copy_of(web, mediator)
    done = change_role(admin, web, email, "admin")
    assert "Inès Martin est maintenant administrateur ; ses sessions sont fermées." in html.unescape(done.text)
    assert role_of(web, email) == "admin"
    assert refused(thief) and refused(mediator)
    promoted = browser(web, email)
    assert promoted.get("/mediateurs/equipe").status_code == 200  # a new login has the new rights

    thief = copy_of(web, promoted)
    done = change_role(admin, web, email, "mediateur")
    assert "Inès Martin est maintenant médiateur" in html.unescape(done.text) and role_of(web, email) == "mediateur"
    assert refused(thief) and refused(promoted)
    assert browser(web, email).get("/mediateurs/equipe").status_code == 403
    assert not refused(admin)  # the admin who changed it goes on


def test_only_an_admin_changes_a_role(web):
    email = make_account(web)
    mediator = browser(web, email)
    answer = form(mediator, "/mediateurs/file", f"/mediateurs/equipe/{mediator_id(web, email)}/role", {"role": "admin"})
    assert answer.status_code == 403 and role_of(web, email) == "mediateur"
    # and never without the form's CSRF token, even for an admin
    admin = browser(web, make_account(web, "admin"))
    answer = admin.post(f"/mediateurs/equipe/{mediator_id(web, email)}/role", data={"role": "admin"})
    assert answer.status_code == 403 and role_of(web, email) == "mediateur"


def test_the_last_active_admin_cannot_give_up_the_role(web):
    email = make_account(web, "admin", name="Paul Leroy")
    with db.session(web.database_url) as session:  # the demo admin and others: away
        session.execute(update(Mediator).where(Mediator.role == "admin", Mediator.email != email).values(active=False))
        session.commit()
    admin = browser(web, email)
    done = change_role(admin, web, email, "mediateur")
    assert (
        "Rôle non modifié : Paul Leroy est le dernier administrateur actif ; nommez d'abord un autre administrateur."
        in html.unescape(done.text)
    )
    assert role_of(web, email) == "admin" and not refused(admin)

    # with another active admin, one may step down: this browser's session ends with the others
    make_account(web, "admin")
    done = change_role(admin, web, email, "mediateur")
    assert done.url.path == "/mediateurs/connexion"
    assert "Vous êtes maintenant médiateur. Reconnectez-vous pour continuer." in html.unescape(done.text)
    assert role_of(web, email) == "mediateur"


# --- idle timeout ---------------------------------------------------------------------------------


class MovingClock:
    """The web app's clock (`create_app(now=…)`), moved by the test."""

    def __init__(self) -> None:
        self.at = clock.now()

    def __call__(self) -> datetime:
        return self.at

    def move(self, minutes: float) -> None:
        self.at += timedelta(minutes=minutes)


@pytest.fixture
def timed(web, monkeypatch):
    """The web app of `web` on a clock the test moves, with a stand-in for Rasa (live chats)."""
    monkeypatch.setattr(live_web, "RasaClient", FakeRasa)
    monkeypatch.setattr(FakeRasa, "calls", [])
    monkeypatch.setattr(FakeRasa, "away", False)
    moving = MovingClock()
    app = create_app(web.settings, now=moving)
    site = WebApp(web.settings, app, TestClient(app))
    site.clock = moving  # type: ignore[attr-defined]
    return site


def expired(client: TestClient, minutes: int = 30) -> bool:
    """The next page is the login, saying the session expired for lack of activity."""
    answer = client.get("/mediateurs/agenda")
    return answer.url.path == "/mediateurs/connexion" and idle_ended(minutes) in html.unescape(answer.text)


def csrf_of(client: TestClient) -> str:
    return TOKEN.search(client.get("/mediateurs/compte", params={"auto": "1"}).text).group(1)


def test_a_session_used_within_30_minutes_stays_and_one_idle_31_minutes_ends(timed):
    email = make_account(timed)
    assert timed.console_idle_minutes == 30  # the default
    mediator = browser(timed, email)
    for _ in range(3):  # used every 29 minutes: 87 minutes in all, still open
        timed.clock.move(29)
        assert mediator.get("/mediateurs/file").url.path == "/mediateurs/file"
    thief = copy_of(timed, mediator)  # a copy shares the session, and its fate
    timed.clock.move(31)
    assert expired(mediator)
    assert refused(thief)
    assert not expired(browser(timed, email))  # logging in again opens a new session


def test_the_console_s_own_polls_do_not_keep_a_session_alive(timed):
    email = make_account(timed)
    mediator = browser(timed, email)
    form(mediator, "/mediateurs/file", "/mediateurs/presence", {"disponible": "1"})
    token, chat = waiting_person(timed)
    csrf = csrf_of(mediator)
    for minutes in (5, 5, 5, 5, 5, 4):  # 29 minutes of an open tab nobody touches
        timed.clock.move(minutes)
        polled = mediator.post("/mediateurs/direct/etat.json", data={"actif": "0"}, headers={"x-csrftoken": csrf})
        assert polled.status_code == 200
        assert mediator.get("/mediateurs/direct/etat.json").status_code == 200
        assert mediator.get(f"/mediateurs/dossiers/{chat.dossier_id}/direct.json").status_code == 200
        assert mediator.get("/mediateurs/file?auto=1").url.path == "/mediateurs/file"  # the queue's own reload
    timed.clock.move(2)
    # the next poll learns it in JSON (console.js reloads the page), and the login says why
    polled = mediator.post("/mediateurs/direct/etat.json", data={"actif": "0"}, headers={"x-csrftoken": csrf})
    assert polled.status_code == 401 and polled.json()["error"] == idle_ended(30)
    login_page = mediator.get("/mediateurs/file")
    assert login_page.url.path == "/mediateurs/connexion"
    assert "Votre session a expiré après 30 minutes sans activité. Merci de vous reconnecter." in html.unescape(login_page.text)


def test_a_mediator_writing_in_a_live_chat_or_using_the_page_stays_logged_in(timed):
    email = make_account(timed, name="Claire Dupont")
    mediator = browser(timed, email)
    form(mediator, "/mediateurs/file", "/mediateurs/presence", {"disponible": "1"})
    token, chat = waiting_person(timed)
    page = f"/mediateurs/dossiers/{chat.dossier_id}"
    assert "Vous avez rejoint la personne" in html.unescape(form(mediator, page, f"/mediateurs/direct/{chat.id}/rejoindre").text)
    csrf = csrf_of(mediator)
    for _ in range(4):  # a message to the person every 25 minutes, the chat polled in between
        for _ in range(5):
            timed.clock.move(5)
            assert mediator.get(f"{page}/direct.json").json()["state"] == "active"
        sent = mediator.post(
            f"{page}/direct/message",
            data={"message": "Je regarde votre site, un instant."},
            headers={"x-csrftoken": csrf, "Accept": "application/json"},
        )
        assert sent.status_code == 200
    # typing without sending yet: the page reports a key pressed (actif=1), which counts too
    for _ in range(3):
        timed.clock.move(20)
        polled = mediator.post("/mediateurs/direct/etat.json", data={"actif": "1"}, headers={"x-csrftoken": csrf})
        assert polled.status_code == 200
    assert mediator.get(page).url.path == page
    timed.clock.move(31)
    assert expired(mediator)


def test_the_idle_limit_is_a_setting(web, monkeypatch):
    from dataclasses import replace

    settings = replace(web.settings, console_idle_minutes=10)
    moving = MovingClock()
    app = create_app(settings, now=moving)
    site = WebApp(settings, app, TestClient(app))
    mediator = browser(site, make_account(site))
    moving.move(9)
    assert mediator.get("/mediateurs/file").url.path == "/mediateurs/file"
    moving.move(11)
    assert expired(mediator, 10)

    from bot import settings as bot_settings

    monkeypatch.setenv("CONSOLE_IDLE_MINUTES", "15")
    assert bot_settings.current().console_idle_minutes == 15
    monkeypatch.setenv("CONSOLE_IDLE_MINUTES", "0")
    with pytest.raises(SystemExit, match="CONSOLE_IDLE_MINUTES must be 1 or more"):
        bot_settings.current()


# --- « Mon compte »: the open sessions --------------------------------------------------------------


def test_my_account_lists_the_open_sessions_and_closes_one(timed):
    email = make_account(timed)
    laptop = browser(timed, email, headers={"User-Agent": FIREFOX_WINDOWS})
    timed.clock.move(10)
    phone = browser(timed, email, headers={"User-Agent": SAFARI_IPHONE})
    timed.clock.move(5)
    laptop.get("/mediateurs/file")

    page = html.unescape(phone.get("/mediateurs/compte").text)
    assert "Firefox sous Windows" in page and "Safari sur iPhone <strong>(cette session)</strong>" in page
    assert "Vous êtes connecté sur 2 appareils ou navigateurs." in page
    closes = CLOSE.findall(page)
    assert len(closes) == 2
    with db.session(timed.database_url) as session:
        rows = {
            r.browser: r for r in session.query(ConsoleSession).filter(ConsoleSession.mediator_id == mediator_id(timed, email))
        }
        firefox = rows["Firefox sous Windows"]
        assert firefox.last_used_at - firefox.created_at == timedelta(minutes=15)
        assert set(session.execute(text("SELECT * FROM console_sessions")).keys()) == {
            "id",
            "mediator_id",
            "token_hash",
            "created_at",
            "last_used_at",
            "browser",
        }  # no address, no whole User-Agent
    laptop_close = next(path for path, number in closes if int(number) == firefox.id)

    # closing the laptop's session from the phone: the laptop (and any copy of its cookie) is out
    thief = copy_of(timed, laptop)
    done = form(phone, "/mediateurs/compte", laptop_close)
    assert "Session fermée." in html.unescape(done.text) and done.url.path == "/mediateurs/compte"
    assert refused(laptop) and refused(thief) and not refused(phone)
    assert "Vous n'êtes connecté que sur cet appareil." in html.unescape(phone.get("/mediateurs/compte").text)

    # another account's session cannot be closed from here
    other = browser(timed, make_account(timed))
    with db.session(timed.database_url) as session:
        others = session.query(ConsoleSession.id).filter(ConsoleSession.mediator_id != mediator_id(timed, email)).all()
    for (number,) in others:
        done = form(phone, "/mediateurs/compte", f"/mediateurs/compte/sessions/{number}/fermer")
        assert "Cette session était déjà fermée." in html.unescape(done.text)
    assert not refused(other)

    # without the form's CSRF token: refused
    [(own_close, _)] = CLOSE.findall(phone.get("/mediateurs/compte").text)
    assert phone.post(own_close).status_code == 403 and not refused(phone)
    # closing one's own session: back to the login
    done = form(phone, "/mediateurs/compte", own_close)
    assert done.url.path == "/mediateurs/connexion" and "Cette session est fermée." in html.unescape(done.text)
    assert refused(phone)


def test_the_browser_is_described_in_a_few_words():
    assert user_agents.describe(FIREFOX_WINDOWS) == "Firefox sous Windows"
    assert user_agents.describe(SAFARI_IPHONE) == "Safari sur iPhone"
    chrome_android = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    )
    assert user_agents.describe(chrome_android) == "Chrome sous Android"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"
    assert user_agents.describe(edge) == "Edge sous Windows"
    mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
    assert user_agents.describe(mac) == "Safari sous macOS"
    assert user_agents.describe(None) == user_agents.describe("curl/8.0") == "Navigateur inconnu"
    assert len(user_agents.describe("x" * 5000)) <= user_agents.MAX_LENGTH


def test_sessions_open_before_the_migration_count_as_used_at_their_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    migrate.upgrade(url, "0009")
    started = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
    before = sa.table(
        "console_sessions", sa.column("mediator_id"), sa.column("token_hash"), sa.column("created_at", UTCDateTime())
    )
    with db.session(url) as session:
        awa = accounts.create_account(session, "Awa", "awa@example.org", PASSWORD, now=AT)
        session.execute(before.insert().values(mediator_id=awa.id, token_hash="h" * 64, created_at=started))
        session.commit()
    migrate.upgrade(url)
    with db.session(url) as session:
        row = session.query(ConsoleSession).one()
        assert (row.created_at, row.last_used_at, row.browser) == (started, started, "")
