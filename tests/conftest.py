"""Shared fixtures: the trained model and the real Rasa + action servers on free ports; the web app
in-process (`web`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.ops import supervisor, training
from bot.settings import Settings
from tests.support.servers import Chat, always_open, servers_with_mail, settings_for_tests

# Modules that start `bot run` or `make run-prod` on their default ports (8000, 5005, 8080…), by
# their dotted name (the tests are packages: tests/ops/test_run_prod.py is tests.ops.test_run_prod).
DEFAULT_PORT_MODULES = {
    "tests.ops.test_run_prod",
    "tests.ops.test_supervisor",
    "tests.ops.test_run_prod_real_client",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), which worker runs what:
    - the tests on the shared servers of one database (`servers` below) run in one worker, so that
      these servers start once (switching databases restarts them: half a minute each time);
    - so do the tests on the servers that send mail (`stack`);
    - every other module runs whole in one worker, so that its module-scoped servers start once;
    - the modules that take the default ports share one worker.
    Without `-n` the marks change nothing.

    With TEST_DATABASES=sqlite (`make test-fast`), the cases of a database-parametrised test on
    another database are deselected."""
    from tests.support.databases import DATABASES

    kept, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        databases = {v for v in (callspec.params.values() if callspec else ()) if v in ("sqlite", "postgresql")}
        (deselected if databases - set(DATABASES) else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    for item in items:
        module = item.module.__name__
        callspec = getattr(item, "callspec", None)
        database = callspec.params.get("server_settings") if callspec else None
        if module in DEFAULT_PORT_MODULES:
            group = "default_ports"
        elif database:
            group = f"servers-{database}"
        elif "stack" in item.fixturenames:
            group = "stack"
        else:
            group = module
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """argon2 with its smallest cost in this test process: the console tests log in thousands of
    times, and each hash at the production cost (bot/store/accounts.py) takes a quarter of a second.
    Still argon2id, and a hash made here verifies with the production hasher (its cost is written in
    the hash), so the servers the tests start, which keep the production cost, read these accounts."""
    from argon2 import PasswordHasher

    from bot.store import accounts

    production, accounts._hasher = accounts._hasher, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield production
    accounts._hasher = production


@pytest.fixture(autouse=True)
def environment_restored():
    """What a test, or the code it calls, writes into os.environ goes at its end: otherwise it leaks
    into every later test of the worker, and into the servers they start (seen: run-prod's
    `production_settings()` sets PUBLIC_TLS=1, and a later `bot run` served secure-only cookies over
    plain HTTP, so its console logins were lost). Fixtures of a wider scope keep theirs until their
    own teardown."""
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    for name, value in before.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


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


@pytest.fixture(scope="session")
def servers(server_settings, model):
    """The real action server and Rasa server, as `bot run` starts them (demo mediators included).

    The service is open around the clock here, so that a live mediator can be offered whatever
    the day and time the tests run (tests/unit/domain/test_opening_hours.py checks the real hours).
    """
    from bot.ops.store_cli import prepare_database

    prepare_database(server_settings)
    with always_open():
        group = supervisor.start_servers(server_settings, model)
    yield server_settings
    group.stop()
    from bot.store import db

    db.engine_for(server_settings.database_url).dispose()  # let the test database be dropped


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
    (tests/support/web_client.py) whose `client` is a Starlette TestClient."""
    from bot.ops.store_cli import prepare_database
    from tests.support.actions import ALWAYS_OPEN
    from tests.support.web_client import web_app

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


@pytest.fixture
def smtp():
    """A local SMTP server (aiosmtpd) that keeps what it receives."""
    from tests.support.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(model, tmp_path_factory):
    """The three servers with demo data sending mail to a local SMTP server, started once for the
    modules that use them (one worker runs them all: see the grouping above); each test writes to
    addresses of its own. (server group, SMTP server)."""
    with servers_with_mail(model, tmp_path_factory.mktemp("mail")) as group_and_smtp:
        yield group_and_smtp
