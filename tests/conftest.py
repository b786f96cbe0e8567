"""Shared fixtures: the trained model and the real Rasa + action servers on free ports; the web app
in-process (`web`)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot.ops import supervisor, training
from bot.ops.supervisor import free_port
from bot.settings import Settings

# Modules that start `bot run` or `make run-prod` on their default ports (8000, 5005, 8080…).
DEFAULT_PORT_MODULES = {"test_run_prod", "test_supervisor", "test_secret_urls_in_logs", "test_run_prod_real_client"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), which worker runs what:
    - the tests on the shared servers of one database (`servers` below) run in one worker, so that
      these servers start once (switching databases restarts them: half a minute each time);
    - every other module runs whole in one worker, so that its module-scoped servers start once;
    - the modules that take the default ports share one worker.
    Without `-n` the marks change nothing."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        callspec = getattr(item, "callspec", None)
        database = callspec.params.get("server_settings") if callspec else None
        if module in DEFAULT_PORT_MODULES:
            group = "default_ports"
        elif database:
            group = f"servers-{database}"
        else:
            group = module
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def model() -> Path:
    return training.ensure_model()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server_settings(request, tmp_path_factory) -> Settings:
    """Every end-to-end conversation runs on the embedded SQLite default and on PostgreSQL."""
    from tests.support.databases import fresh_database_url

    var_dir = tmp_path_factory.mktemp("var")
    database_url, drop = fresh_database_url(request.param, var_dir)
    request.addfinalizer(drop)
    return settings_for_tests(database_url, var_dir)


def settings_for_tests(database_url: str, var_dir, **overrides) -> Settings:
    """Servers on free ports of loopback, fresh secrets; `overrides` for any other setting."""
    web_port = free_port()
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=web_port,
        rasa_token="test-token-" + uuid.uuid4().hex,
        conversation_secret="test-secret-" + uuid.uuid4().hex,
        database_url=database_url,
        var_dir=var_dir,
        allowed_origins=(f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"),
        public_socket_url="",
        session_secret="test-session-" + uuid.uuid4().hex,
        claim_lease_minutes=30,
    )
    return dataclasses.replace(settings, **overrides)


@contextlib.contextmanager
def servers_with_mail(model: Path, var_dir: Path):
    """The three servers on an embedded database with demo data, sending mail to a local SMTP
    server started here: yields (server group, SMTP server)."""
    from bot.ops.store_cli import prepare_database
    from tests.support.smtp_server import SmtpServer

    smtp = SmtpServer().start()
    settings = settings_for_tests(f"sqlite:///{var_dir / 'store.db'}", var_dir)
    prepare_database(settings)
    previous = os.environ.get("SMTP_URL")
    os.environ["SMTP_URL"] = smtp.url  # the servers' environment inherits it
    try:
        with always_open():
            group = supervisor.start_servers(settings, model)
            try:
                yield group, smtp
            finally:
                group.stop()
    finally:
        if previous is None:
            os.environ.pop("SMTP_URL", None)
        else:
            os.environ["SMTP_URL"] = previous
        smtp.stop()


@contextlib.contextmanager
def always_open():
    """Servers started inside see the service open around the clock (OPENING_HOURS)."""
    from tests.unit.actions.test_actions_live import ALWAYS_OPEN

    previous = os.environ.get("OPENING_HOURS")
    os.environ["OPENING_HOURS"] = ALWAYS_OPEN
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OPENING_HOURS")
        else:
            os.environ["OPENING_HOURS"] = previous


@pytest.fixture(scope="session")
def servers(server_settings, model):
    """The real action server and Rasa server, as `bot run` starts them (demo mediators included).

    The service is open around the clock here, so that a live mediator can be offered whatever
    the day and time the tests run (tests/test_opening_hours.py checks the real hours).
    """
    from bot.ops.store_cli import prepare_database

    prepare_database(server_settings)
    with always_open():
        group = supervisor.start_servers(server_settings, model)
    yield server_settings
    group.stop()
    from bot.store import db

    db.engine_for(server_settings.database_url).dispose()  # let the test database be dropped


class Chat:
    """One person talking to the assistant through the REST webhook."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender = "test-" + uuid.uuid4().hex

    def say(self, text: str) -> list[dict]:
        """Send a message; over the per-conversation rate limit (20 a minute), wait as told
        (Retry-After) and send it again, as a person would: long conversations type that fast."""
        for _ in range(2):
            response = requests.post(
                f"{self.settings.rasa_url}/webhooks/rest/webhook",
                json={"sender": self.sender, "message": text},
                timeout=60,
            )
            if response.status_code != 429 or "Retry-After" not in response.headers:
                break
            time.sleep(min(61, int(response.headers["Retry-After"])))
        response.raise_for_status()
        return response.json()

    def click(self, payload: str, offered: list[dict]) -> list[dict]:
        """Click a button of the assistant's last replies (a payload no button offered is plain text)."""
        assert payload in [b["payload"] for b in self.buttons(offered)], (payload, offered)
        return self.say(payload)

    def from_menu(self, payload: str) -> list[dict]:
        """Choose a need on the menu the assistant offers when it did not understand."""
        return self.click(payload, self.say("zkqj wxv plm"))

    def ask_human(self, mode: str) -> list[dict]:
        """Ask for a person, then choose « rendez_vous », « rappel » or « coordonnees »."""
        return self.click(f'/ask_human{{"mode_contact": "{mode}"}}', self.say("je veux parler a quelqu'un svp"))

    @staticmethod
    def texts(replies: list[dict]) -> str:
        return "\n".join(r.get("text", "") for r in replies)

    @staticmethod
    def buttons(replies: list[dict]) -> list[dict]:
        return [b for r in replies for b in r.get("buttons", [])]


@pytest.fixture
def chat(servers) -> Chat:
    return Chat(servers)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """An empty, migrated database: the embedded SQLite default, then PostgreSQL."""
    from bot.store import migrate
    from tests.support.databases import fresh_database_url

    database_url, drop = fresh_database_url(request.param, tmp_path)
    migrate.upgrade(database_url)
    yield database_url
    drop()


@pytest.fixture
def web(url, tmp_path, monkeypatch):
    """The web app in-process on a fresh database (SQLite, then PostgreSQL), prepared as `bot run`
    does (demo mediators included), open around the clock like the servers above: a WebApp
    (tests/web_client.py) whose `client` is a Starlette TestClient."""
    from bot.ops.store_cli import prepare_database
    from tests.support.web_client import web_app
    from tests.unit.actions.test_actions_live import ALWAYS_OPEN

    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    settings = settings_for_tests(url, tmp_path)
    prepare_database(settings)
    yield web_app(settings)


@pytest.fixture(autouse=True)
def private_var_directory(tmp_path, monkeypatch):
    """Actions run in-process keep their spool (and anything else under var/) out of the repo."""
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    """An empty migrated SQLite store that the actions (run in-process) write to."""
    from bot.store import migrate

    url = f"sqlite:///{tmp_path / 'actions.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    return url
