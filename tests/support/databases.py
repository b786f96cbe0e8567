"""Database URLs for the storage tests: the embedded SQLite default and, where it runs, PostgreSQL.

PostgreSQL tests need a server at POSTGRES_ADMIN_URL (default: the local one, trust auth).
Without one they are skipped with a message saying how to start it — unless REQUIRE_POSTGRES=1
(set by .ci/run), where a missing server is a failure.

TEST_DATABASES (default "sqlite,postgresql") names the databases the tests run on: `make test-fast`
sets it to "sqlite", which deselects the PostgreSQL cases of the database-parametrised tests
(tests/conftest.py) and skips any other test that asks for a PostgreSQL database.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = tuple(name.strip() for name in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if name.strip())
HOW_TO_START = (
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " "(or set POSTGRES_ADMIN_URL)"
)


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, future=True, connect_args={"connect_timeout": 3})
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    message = f"needs PostgreSQL at {POSTGRES_ADMIN_URL}; {HOW_TO_START}"
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def fresh_database_url(kind: str, tmp_path) -> tuple[str, callable]:
    """A new empty database of the given kind, and a function that drops it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}", lambda: None
    if kind not in DATABASES:
        pytest.skip(f"TEST_DATABASES={','.join(DATABASES)}: not on {kind}")
    require_postgres()
    name = "bot_test_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop():
        from bot.store.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
