"""The console's sessions can be ended and its login resists guessing (in-process web app and the
store, SQLite and PostgreSQL): a copied cookie stops working after each way a session ends; the
private calendar link can be changed and a reset changes it; wrong guesses sent in parallel all
count; one address is throttled and cannot lock the mediator out from another; one reset e-mail
per quarter of an hour; the console's poll changes presence only by POST with its CSRF token."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.mail import links
from bot.store import accounts, db
from bot.store.tables import LoginFailure, Mediator, OutgoingMail
from bot.web import login_throttle
from bot.web.handlers import SESSION_ENDED
from tests.support.clock import AT
from tests.support.console_client import PASSWORD, TOKEN, browser, copy_of, form, login, make_account, mediator_id, refused

NOW = AT  # the moment the test accounts are made (tests/support/console_client.py)


@pytest.fixture(autouse=True)
def the_tests_moment(monkeypatch):
    """The web app, the store and the signed links read this test's moment, never the real clock."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


NEW_PASSWORD = "un tout nouveau secret"
FEED = re.compile(r"/calendrier/[^\"<\s]+\.ics")
ATTACKER, OFFICE = ("198.51.100.7", 40000), ("203.0.113.9", 40001)


def test_a_copied_cookie_is_refused_after_each_way_a_session_ends(web):
    email = make_account(web)
    admin = browser(web, make_account(web, "admin"))

    # logout: this session ends on the server, not only in the browser
    victim = browser(web, email)
    thief = copy_of(web, victim)
    form(victim, "/mediateurs/file", "/mediateurs/deconnexion")
    assert refused(thief) and SESSION_ENDED in thief.get("/mediateurs/connexion").text

    # « se déconnecter partout »: every browser of the account, this one included
    victim, laptop = browser(web, email), browser(web, email)
    thief = copy_of(web, victim)
    assert "Vous êtes connecté sur 2 appareils" in form(victim, "/mediateurs/compte", "/mediateurs/compte/alertes").text
    done = form(victim, "/mediateurs/compte", "/mediateurs/compte/deconnexion-partout")
    assert done.url.path == "/mediateurs/connexion" and "déconnecté partout" in done.text
    assert refused(thief) and refused(laptop) and refused(victim)

    # a password change: the others end, the browser that changed it goes on in a new session
    victim, laptop = browser(web, email), browser(web, email)
    thief = copy_of(web, victim)
    done = form(
        victim,
        "/mediateurs/compte",
        "/mediateurs/compte/mot-de-passe",
        {"actuel": PASSWORD, "nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    )
    assert "Mot de passe changé. Vos autres sessions sont fermées." in done.text
    assert refused(thief) and refused(laptop) and not refused(victim)

    # a reset through the e-mailed link
    thief = copy_of(web, victim)
    with db.session(web.database_url) as session:
        mediator = accounts.mediator_by_email(session, email)
        link = "/mediateurs/mot-de-passe/" + links.reset_token(
            web.session_secret, mediator.id, mediator.password_hash, now=clock.now()
        )
    stranger = web.new_client()
    assert form(stranger, link, link, {"nouveau": PASSWORD, "confirmation": PASSWORD}).url.path == "/mediateurs/connexion"
    assert refused(thief) and refused(victim)

    # deactivation by an admin, even once the account is active again
    victim = browser(web, email)
    thief = copy_of(web, victim)
    toggle = f"/mediateurs/equipe/{mediator_id(web, email)}/activation"
    assert "Compte désactivé" in form(admin, "/mediateurs/equipe", toggle).text
    assert "Compte réactivé" in form(admin, "/mediateurs/equipe", toggle).text
    assert refused(thief) and refused(victim)

    # a role change
    victim = browser(web, email)
    thief = copy_of(web, victim)
    with db.session(web.database_url) as session:
        accounts.set_role(session, mediator_id(web, email), "admin")
        session.commit()
    assert refused(thief) and refused(victim)
    assert browser(web, email).get("/mediateurs/equipe").status_code == 200  # a new login has the new rights


def test_the_old_calendar_link_is_gone_after_changing_it_and_after_a_reset(web):
    email = make_account(web)
    mediator = browser(web, email)
    first = FEED.search(mediator.get("/mediateurs/agenda").text).group(0)
    outsider = web.new_client()
    assert outsider.get(first).status_code == 200
    done = form(mediator, "/mediateurs/compte", "/mediateurs/compte/lien-agenda")
    assert "l'ancien ne fonctionne plus" in html.unescape(done.text)
    assert outsider.get(first).status_code == 404
    second = FEED.search(mediator.get("/mediateurs/agenda").text).group(0)
    assert second != first and outsider.get(second).status_code == 200

    with db.session(web.database_url) as session:
        found = accounts.mediator_by_email(session, email)
        accounts.reset_password(session, found.id, accounts.password_fingerprint(found.password_hash), NEW_PASSWORD)
        session.commit()
    assert outsider.get(second).status_code == 404


def test_parallel_wrong_guesses_all_count(url):
    """Four guesses at once, each in its own transaction: the counters are raised in the
    database (x = x + 1), so none is lost, and none fails (SQLite waits for the writer)."""
    with db.session(url) as session:
        accounts.create_account(session, "Awa", "awa@example.org", PASSWORD, now=NOW)
        session.commit()
    guesses = accounts.MAX_FAILED_LOGINS - 1
    start, outcomes = threading.Barrier(guesses), []

    def guess(number: int) -> None:
        with db.session(url) as session:
            start.wait(timeout=30)
            try:
                accounts.authenticate(session, "awa@example.org", f"faux {number}", now=NOW, client="attaquant")
            except accounts.LoginRefused:
                session.commit()  # as the login route does: the failure counts
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 (a 500 in the app)
                outcomes.append(repr(error))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["refused"] * guesses
    with db.session(url) as session:
        mediator = accounts.mediator_by_email(session, "awa@example.org")
        failures = session.execute(select(LoginFailure.failures).where(LoginFailure.mediator_id == mediator.id)).scalar_one()
        assert (failures, mediator.failed_logins) == (guesses, guesses)
        # the fifth locks this address out, not the account
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(session, "awa@example.org", "faux encore", now=NOW, client="attaquant")
        session.commit()
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(session, "awa@example.org", PASSWORD, now=NOW, client="attaquant")
        assert accounts.authenticate(session, "awa@example.org", PASSWORD, now=NOW, client="bureau").name == "Awa"


def test_one_address_gets_a_429_after_too_many_tries_while_another_still_logs_in(web):
    email = make_account(web)
    attacker = web.new_client(client=ATTACKER)
    for attempt in range(login_throttle.LOGIN_ATTEMPTS.limit):
        assert login(attacker, f"personne-{attempt}@example.org", "essai").status_code == 401
    throttled = login(attacker, email)  # even the right password, from there
    assert throttled.status_code == 429 and "Trop d'essais depuis votre connexion" in html.unescape(throttled.text)
    assert 0 < int(throttled.headers["retry-after"]) <= login_throttle.LOGIN_ATTEMPTS.window
    assert login(web.new_client(client=OFFICE), email).url.path == "/mediateurs/file"

    forgotten = web.new_client(client=ATTACKER)
    for _ in range(login_throttle.RESET_REQUESTS.limit):
        answer = form(forgotten, "/mediateurs/mot-de-passe-oublie", "/mediateurs/mot-de-passe-oublie", {"email": email})
        assert answer.status_code == 200
    answer = form(forgotten, "/mediateurs/mot-de-passe-oublie", "/mediateurs/mot-de-passe-oublie", {"email": email})
    assert answer.status_code == 429 and "Trop d'essais" in html.unescape(answer.text)


def test_an_attacker_at_one_address_does_not_lock_the_mediator_out_from_another(web):
    email = make_account(web)
    attacker = web.new_client(client=ATTACKER)
    answers = [login(attacker, email, f"devine {n}").status_code for n in range(login_throttle.LOGIN_ATTEMPTS.limit)]
    assert set(answers) == {401}
    assert login(attacker, email).status_code in (401, 429)  # locked, then throttled, there
    assert login(web.new_client(client=OFFICE), email).url.path == "/mediateurs/file"


def test_one_reset_email_per_account_per_quarter_hour(web, monkeypatch):
    email = make_account(web)
    monkeypatch.setattr(clock, "now", lambda: NOW)

    def ask():
        client = web.new_client()
        answer = form(client, "/mediateurs/mot-de-passe-oublie", "/mediateurs/mot-de-passe-oublie", {"email": email})
        assert "Si un compte actif existe à cette adresse" in answer.text  # the same answer every time

    def mails() -> int:
        with db.session(web.database_url) as session:
            query = select(OutgoingMail).where(OutgoingMail.kind == "mdp_reinitialisation")
            return len(session.execute(query).scalars().all())

    ask()
    ask()
    assert mails() == 1
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(minutes=accounts.RESET_MAIL_MINUTES - 1))
    ask()
    assert mails() == 1
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(minutes=accounts.RESET_MAIL_MINUTES, seconds=1))
    ask()
    assert mails() == 2


def test_the_console_poll_changes_presence_only_by_post_with_its_csrf_token(web, monkeypatch):
    email = make_account(web)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    mediator = browser(web, email)
    form(mediator, "/mediateurs/file", "/mediateurs/presence", {"disponible": "1"})

    def seen() -> tuple:
        with db.session(web.database_url) as session:
            found = session.get(Mediator, mediator_id(web, email))
            return found.last_seen_at, found.console_seen_at

    before = seen()
    assert before[0] == NOW
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(minutes=1))
    assert mediator.get("/mediateurs/direct/etat.json?actif=1").json()["available"] is True
    assert mediator.get("/mediateurs/direct/etat.json?actif=0").status_code == 200
    assert seen() == before  # a GET changes nothing
    assert mediator.post("/mediateurs/direct/etat.json", data={"actif": "1"}).status_code == 403
    assert seen() == before  # nor a POST without the token
    csrf = TOKEN.search(mediator.get("/mediateurs/file").text).group(1)
    answer = mediator.post("/mediateurs/direct/etat.json", data={"actif": "1"}, headers={"x-csrftoken": csrf})
    assert answer.status_code == 200 and answer.json()["available"] is True
    assert seen()[0] == NOW + timedelta(minutes=1)
