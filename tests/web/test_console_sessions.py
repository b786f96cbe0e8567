"""Console sessions, in-process (Starlette's TestClient on the real app and a real database):
every request checks that the account is still active with the same role; HSTS behind HTTPS;
no secret in the access log; server logs rotated.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import uuid

import pytest
from starlette.testclient import TestClient

from bot.log_redaction import RedactingFilter
from bot.ops.log_files import RotatingLog
from bot.settings import Settings
from bot.store import accounts, db
from bot.store.tables import Mediator
from bot.web import console
from bot.web.app import create_app
from tests.support.clock import AT
from tests.support.console_client import PASSWORD

TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def web_settings(url: str, tmp_path, secure: bool = False) -> Settings:
    return Settings(
        bind_host="127.0.0.1",
        rasa_port=1,
        action_port=2,
        web_port=3,
        rasa_token="t-" + uuid.uuid4().hex,
        conversation_secret="c-" + uuid.uuid4().hex,
        database_url=url,
        var_dir=tmp_path,
        allowed_origins=(),
        public_socket_url="",
        session_secret="s-" + uuid.uuid4().hex,
        secure_cookies=secure,
    )


def account(url: str, role: str = "mediateur") -> tuple[int, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with db.session(url) as session:
        mediator = accounts.create_account(session, "Awa Diallo", email, PASSWORD, role, now=AT)
        session.commit()
        return mediator.id, email


def logged_in(app, email: str, base_url: str = "http://testserver") -> TestClient:
    client = TestClient(app, base_url=base_url)
    token = TOKEN.search(client.get("/mediateurs/connexion").text).group(1)
    answer = client.post("/mediateurs/connexion", data={"email": email, "password": PASSWORD, "csrftoken": token})
    assert answer.status_code == 200 and answer.url.path == "/mediateurs/file", answer.text[:300]
    return client


def set_account(url: str, mediator_id: int, **values) -> None:
    with db.session(url) as session:
        mediator = session.get(Mediator, mediator_id)
        for name, value in values.items():
            setattr(mediator, name, value)
        session.commit()


@pytest.fixture(params=["sqlite"])
def url(request, tmp_path) -> str:
    from bot.store import migrate

    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate.upgrade(database_url)
    return database_url


def test_a_deactivated_mediator_s_next_request_is_refused(url, tmp_path):
    app = create_app(web_settings(url, tmp_path))
    mediator_id, email = account(url)
    admin_id, admin_email = account(url, "admin")
    mediator, admin = logged_in(app, email), logged_in(app, admin_email)
    assert mediator.get("/mediateurs/agenda").status_code == 200
    # the admin deactivates the account through the console
    team = admin.get("/mediateurs/equipe").text
    answer = admin.post(f"/mediateurs/equipe/{mediator_id}/activation", data={"csrftoken": TOKEN.search(team).group(1)})
    assert "Compte désactivé" in answer.text
    refused = mediator.get("/mediateurs/agenda", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].endswith("/mediateurs/connexion")
    assert console.SESSION_ENDED in mediator.get("/mediateurs/connexion").text
    # the session is gone: reactivating the account does not bring it back
    set_account(url, mediator_id, active=True)
    assert mediator.get("/mediateurs/file", follow_redirects=False).status_code == 303


def test_a_changed_role_ends_the_session(url, tmp_path):
    app = create_app(web_settings(url, tmp_path))
    admin_id, admin_email = account(url, "admin")
    admin = logged_in(app, admin_email)
    assert admin.get("/mediateurs/equipe").status_code == 200
    set_account(url, admin_id, role="mediateur")
    assert admin.get("/mediateurs/equipe", follow_redirects=False).status_code == 303  # not a 403 page: logged out
    again = logged_in(app, admin_email)  # a new login with the new role
    assert again.get("/mediateurs/file").status_code == 200 and again.get("/mediateurs/equipe").status_code == 403


def test_hsts_only_behind_https(url, tmp_path):
    plain = TestClient(create_app(web_settings(url, tmp_path)))
    assert "strict-transport-security" not in plain.get("/").headers
    secure = TestClient(create_app(web_settings(url, tmp_path, secure=True)), base_url="https://testserver")
    assert secure.get("/").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    _, email = account(url)
    assert logged_in(create_app(web_settings(url, tmp_path, secure=True)), email, "https://testserver")


def test_no_secret_in_the_access_log(url, tmp_path, caplog):
    """uvicorn writes the path and query of every request: the calendar feed's token and any
    ?token= are masked (nginx's log of make run-prod keeps no query and masks the same path)."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/calendrier/Sx9secretFeedToken.ics?token=abc&x=1", "1.1", 200),
        None,
    )
    RedactingFilter().filter(record)
    line = record.getMessage()
    assert "Sx9secretFeedToken" not in line and "abc" not in line and "/calendrier/" in line and "x=1" in line


def test_server_logs_are_rotated(tmp_path):
    log = RotatingLog(tmp_path / "rasa.log", max_bytes=10_000, backups=3)
    log.start()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfor i in range(4000): print(f'ligne {i:05d}')"],
        stdout=log.write_fd,
        stderr=subprocess.STDOUT,
    )
    log.child_started()
    assert writer.wait(timeout=30) == 0
    log.join(timeout=30)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["rasa.log", "rasa.log.1", "rasa.log.2", "rasa.log.3"]  # the oldest ones dropped
    assert all((tmp_path / f).stat().st_size <= 10_000 for f in files)
    assert (tmp_path / "rasa.log").read_text().rstrip().endswith("ligne 03999")  # the newest lines, whole
