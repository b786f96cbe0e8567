"""Mediator accounts in the console (in-process web app, SQLite and PostgreSQL): change one's
password, choose one's alerts, reset a forgotten password with the e-mailed link (single use,
short-lived), and a deactivated account is logged out at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from bot import clock
from bot.store import accounts, db
from tests.support.console_client import PASSWORD, form, login, page_text
from tests.support.mail import (
    BEFORE,
    send,
    web_signing_links,  # noqa: F401 (the `web` fixture)
)
from tests.support.mail import LINK_SECRET as SECRET
from tests.support.smtp_server import SmtpServer, body

EMAIL = "claire@example.org"


@pytest.fixture
def account(url):
    with db.session(url) as session:
        accounts.create_account(session, "Claire Petit", EMAIL, PASSWORD, now=BEFORE)
        accounts.create_account(session, "Admin", "admin@example.org", PASSWORD, role="admin", now=BEFORE)
        session.commit()
    return EMAIL


def test_changing_ones_password(web, account):
    assert login(web, account).url.path == "/mediateurs/file"
    wrong = form(
        web,
        "/mediateurs/compte",
        "/mediateurs/compte/mot-de-passe",
        {"actuel": "pas le bon", "nouveau": "nouveau secret 42", "confirmation": "nouveau secret 42"},
    )
    assert "le mot de passe actuel n'est pas le bon" in page_text(wrong)
    mismatch = form(
        web,
        "/mediateurs/compte",
        "/mediateurs/compte/mot-de-passe",
        {"actuel": PASSWORD, "nouveau": "nouveau secret 42", "confirmation": "autre chose 42"},
    )
    assert "pas identiques" in page_text(mismatch)
    short = form(
        web,
        "/mediateurs/compte",
        "/mediateurs/compte/mot-de-passe",
        {"actuel": PASSWORD, "nouveau": "court", "confirmation": "court"},
    )
    assert "au moins 10 caractères" in page_text(short)
    done = form(
        web,
        "/mediateurs/compte",
        "/mediateurs/compte/mot-de-passe",
        {"actuel": PASSWORD, "nouveau": "nouveau secret 42", "confirmation": "nouveau secret 42"},
    )
    assert "Mot de passe changé." in page_text(done)
    other = TestClient(web.app)
    assert login(other, account).status_code == 401
    assert login(other, account, "nouveau secret 42").url.path == "/mediateurs/file"


def test_choosing_ones_alerts(web, url, account):
    login(web, account)
    page = web.get("/mediateurs/compte")
    assert page.text.count("checked") == 3  # every alert until one chooses
    assert "aucun médiateur disponible n'a la console ouverte" in page_text(page)  # the live chat alert
    done = form(web, "/mediateurs/compte", "/mediateurs/compte/alertes", {"alertes": ["rappel"]})
    assert "Alertes enregistrées : une personne demande à être rappelée." in page_text(done)
    with db.session(url) as session:
        assert accounts.mediator_by_email(session, account).alerts == ["rappel"]
    assert form(web, "/mediateurs/compte", "/mediateurs/compte/alertes", {}).status_code == 200
    with db.session(url) as session:
        assert accounts.mediator_by_email(session, account).alerts == []


def test_a_forgotten_password_is_reset_by_an_emailed_single_use_link(web, url, account, monkeypatch):
    server = SmtpServer().start()
    try:
        for email in (account, "nobody@example.org"):
            answer = form(web, "/mediateurs/mot-de-passe-oublie", "/mediateurs/mot-de-passe-oublie", {"email": email})
            assert "Si un compte actif existe à cette adresse" in page_text(answer)  # the same answer
        send(url, server, BEFORE)
        [mail] = server.messages
        assert mail["To"] == f"Claire Petit <{account}>"
        link = re.search(r"https://mediation\.example\.org(/mediateurs/mot-de-passe/\S+)", body(mail)).group(1)
    finally:
        server.stop()
    monkeypatch.setattr(clock, "now", lambda: BEFORE + timedelta(minutes=5))
    page = web.get(link)
    assert page.status_code == 200
    done = form(web, link, link, {"nouveau": "tout neuf 12345", "confirmation": "tout neuf 12345"})
    assert done.url.path == "/mediateurs/connexion" and "Mot de passe changé" in page_text(done)
    assert login(TestClient(web.app), account, "tout neuf 12345").url.path == "/mediateurs/file"
    used = web.get(link)
    assert used.status_code == 404 and "plus valable" in page_text(used)  # single use
    assert (
        form(
            web, "/mediateurs/mot-de-passe-oublie", link, {"nouveau": "encore un 12345", "confirmation": "encore un 12345"}
        ).status_code
        == 404
    )


def test_a_reset_link_expires(web, url, account, monkeypatch):
    from bot.mail import links

    with db.session(url) as session:
        mediator = accounts.mediator_by_email(session, account)
        token = links.reset_token(SECRET, mediator.id, mediator.password_hash, now=BEFORE)
    monkeypatch.setattr(clock, "now", lambda: BEFORE + timedelta(minutes=links.RESET_MINUTES - 1))
    assert web.get(f"/mediateurs/mot-de-passe/{token}").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: BEFORE + timedelta(minutes=links.RESET_MINUTES + 1))
    assert web.get(f"/mediateurs/mot-de-passe/{token}").status_code == 404


def test_a_deactivated_account_is_logged_out_at_once(web, url, account):
    login(web, account)
    assert web.get("/mediateurs/file").url.path == "/mediateurs/file"
    with db.session(url) as session:
        accounts.mediator_by_email(session, account).active = False
        session.commit()
    assert web.get("/mediateurs/file").url.path == "/mediateurs/connexion"
    with db.session(url) as session:
        accounts.mediator_by_email(session, account).active = True
        session.commit()
    assert web.get("/mediateurs/file").url.path == "/mediateurs/connexion"  # the session is gone
