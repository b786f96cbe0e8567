"""Console accounts: argon2 hashes, lock-out and its end, `bot mediators add` (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from bot import paths
from bot.store import accounts, db

NOW = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)


def test_passwords_are_hashed_with_argon2_and_checked(url):
    with db.session(url) as session:
        mediator = accounts.create_account(session, "Awa", "awa@example.org", "correct horse battery", now=NOW)
        session.commit()
        assert mediator.password_hash.startswith("$argon2id$") and "correct" not in mediator.password_hash
        assert accounts.authenticate(session, "AWA@example.org", "correct horse battery", now=NOW).name == "Awa"
        with pytest.raises(ValueError, match="10 caractères"):
            accounts.create_account(session, "Bob", "bob@example.org", "court", now=NOW)
        with pytest.raises(ValueError, match="already exists"):
            accounts.create_account(session, "Awa bis", "awa@example.org", "un autre mot de passe", now=NOW)


def test_the_servers_hash_at_the_cost_rfc_9106_recommends(cheap_password_hashes):
    """The tests hash cheaply (tests/conftest.py); the code that runs keeps argon2id's RFC 9106
    low-memory profile: 64 MiB, 3 passes, 4 lanes."""
    made = cheap_password_hashes.hash("correct horse battery")
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_lock_out_after_five_failures_then_unlocked_after_the_delay(url):
    now = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
    with db.session(url) as session:
        accounts.create_account(session, "Awa", "awa@example.org", "correct horse battery", now=NOW)
        session.commit()
        for attempt in range(accounts.MAX_FAILED_LOGINS):
            with pytest.raises(accounts.LoginRefused) as refused:
                accounts.authenticate(session, "awa@example.org", f"faux {attempt}", now=now)
        assert "bloqué" in str(refused.value)
        with pytest.raises(accounts.LoginRefused, match="bloqué"):
            accounts.authenticate(session, "awa@example.org", "correct horse battery", now=now)
        later = now + timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)
        assert accounts.authenticate(session, "awa@example.org", "correct horse battery", now=later).role == "mediateur"


def test_bot_mediators_add_creates_a_console_account(url, tmp_path):
    env = dict(os.environ, DATABASE_URL=url, BOT_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "mediators", "add", "Léa Admin", "lea@example.org", "--admin", "--password-stdin"],
        input="un mot de passe solide\n",
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Admin #" in done.stdout
    with db.session(url) as session:
        assert accounts.authenticate(session, "lea@example.org", "un mot de passe solide", now=NOW).is_admin
    short = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "mediators", "add", "X", "x@example.org", "--password-stdin"],
        input="court\n",
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert short.returncode == 2 and "10 caractères" in short.stderr
