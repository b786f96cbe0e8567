"""Secrets that are not secret: every entry point refuses to start, naming the variable, while a
secret is shorter than 32 characters or a placeholder copied from an example (a weak file in var/
too); generated secrets are private from the moment they exist; Rasa's token is on no command line.

The entry points are run for real where it is cheap (the action server and the Rasa launcher as
subprocesses, which stop before serving) and in-process otherwise (`bot run`, `bot run-prod` and
the web app's factory stop before anything starts)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot import paths
from bot import settings as bot_settings
from bot.ops import cli
from bot.ops.supervisor import free_port
from bot.rasa_extensions import rasa_server
from tests.support.processes import clear_secrets, production_environment
from tests.support.servers import settings_for_tests

PLACEHOLDERS = [
    "change-me",
    "change-me-at-least-16-characters",
    "change-me-" + "x" * 40,
    "changeme832979893de6faec5623c82e5184b20c",  # a placeholder prefix, whatever follows
    "secret",
    "password",
    "example",
    "test",
    "secret-secret-secret-secret-secret-secret",
    "password-1234567890123456789012345678",
    "test-test-test-test-test-test-test-test",
    "your-rasa-token-goes-here-please-1234567",
    "<mettez un secret ici, au moins 32 caractères>",
    "a" * 64,
    "0123456789" * 2 + "0123",  # 24 characters
    "abababababababababababababababababababab",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_a_placeholder_or_short_secret_is_weak(value):
    assert bot_settings.weak_secret_reason(value) is not None, value


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_urlsafe(32),  # what the embedded default generates
        hashlib.sha256(b"action-server:x").hexdigest(),  # the derived action server token
        "test-token-" + uuid.uuid4().hex,  # the tests' secrets: long and random
        "t-" + uuid.uuid4().hex,
        "public-" + uuid.uuid4().hex,
    ],
    # fixed ids: the values are drawn at collection, and pytest-xdist's workers must collect the same tests
    ids=["generated", "derived-action-token", "test-token", "short-prefix", "public-token"],
)
def test_a_long_random_secret_is_strong(value):
    assert bot_settings.weak_secret_reason(value) is None


def strong() -> str:
    return secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "variable, field",
    [
        ("RASA_TOKEN", "rasa_token"),
        ("CONVERSATION_SECRET", "conversation_secret"),
        ("SESSION_SECRET", "session_secret"),
        ("ACTION_SERVER_TOKEN", "action_token"),
        ("PUBLIC_REST_WEBHOOK_TOKEN", "public_rest_token"),
        ("POSTGRES_PASSWORD", "postgres_password"),
    ],
)
def test_a_weak_secret_is_refused_by_its_name_and_never_quoted(tmp_path, variable, field):
    settings = settings_for_tests("sqlite://", tmp_path, **{field: "change-me-now-please-0123456789-abcdef"})
    with pytest.raises(SystemExit) as refused:
        bot_settings.require_strong_secrets(settings)
    message = str(refused.value)
    assert message.startswith(f"Cannot start: {variable} ") and "placeholder" in message
    assert "change-me-now-please" not in message  # the value itself is never printed


def test_the_optional_secrets_are_checked_only_when_set(tmp_path):
    settings = settings_for_tests("sqlite://", tmp_path, public_rest_token="", postgres_password="")
    bot_settings.require_strong_secrets(settings)  # no refusal: unset is fine for these two
    assert "PUBLIC_REST_WEBHOOK_TOKEN" not in bot_settings.secrets_of(settings)


def test_generated_secrets_work_and_a_weak_one_in_var_is_refused(tmp_path, monkeypatch):
    var_dir = tmp_path / "var"
    clear_secrets(monkeypatch, var_dir)
    bot_settings.require_strong_secrets(bot_settings.load())  # the embedded default starts
    (var_dir / "session_secret").write_text("change-me\n")  # edited by hand
    with pytest.raises(SystemExit, match=r"SESSION_SECRET \(or .*var/session_secret, used when it is unset\) is shorter"):
        bot_settings.require_strong_secrets(bot_settings.load())


def test_a_generated_secret_file_is_private_from_the_start(tmp_path, monkeypatch):
    """Created mode 600, never readable by others even for an instant: no chmod after writing."""
    var_dir = tmp_path / "var"
    clear_secrets(monkeypatch, var_dir)
    chmods = []
    monkeypatch.setattr(Path, "chmod", lambda self, mode: chmods.append((self, mode)))
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: chmods.append(args))
    previous = os.umask(0o022)
    try:
        loaded = bot_settings.load()
    finally:
        os.umask(previous)
    assert chmods == []
    for name in bot_settings.GENERATED_SECRETS:
        file = var_dir / name.lower()
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert loaded.session_secret == (var_dir / "session_secret").read_text().strip()
    assert sorted(p.name for p in var_dir.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_an_existing_secret_file_readable_by_others_is_made_private(tmp_path, monkeypatch):
    var_dir = tmp_path / "var"
    clear_secrets(monkeypatch, var_dir)
    var_dir.mkdir()
    kept = strong()
    (var_dir / "rasa_token").write_text(kept + "\n")
    (var_dir / "rasa_token").chmod(0o644)
    assert bot_settings.load().rasa_token == kept
    assert stat.S_IMODE((var_dir / "rasa_token").stat().st_mode) == 0o600


# --- each entry point refuses, naming the variable ---------------------------------------------


def test_the_web_app_factory_refuses_a_weak_session_secret(tmp_path):
    from bot.web.app import create_app

    settings = settings_for_tests(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, session_secret="change-me")
    with pytest.raises(SystemExit, match=r"^Cannot start: SESSION_SECRET .*shorter than 32"):
        create_app(settings)


def test_bot_run_refuses_a_weak_rasa_token_before_starting_anything(tmp_path, monkeypatch):
    clear_secrets(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("RASA_TOKEN", "secret")
    with pytest.raises(SystemExit, match=r"^Cannot start: RASA_TOKEN "):
        cli.main(["run"])
    assert not (tmp_path / "var" / "mediation.db").exists()  # not even the database was prepared


def test_bot_run_prod_refuses_a_placeholder_session_secret(tmp_path, monkeypatch):
    production_environment(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("SESSION_SECRET", "change-me-change-me-change-me-change-me")
    with pytest.raises(SystemExit, match=r"^Cannot start: SESSION_SECRET .*placeholder"):
        cli.main(["run-prod"])


def run_entry_point(module: str, arguments: list[str], **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in bot_settings.GENERATED_SECRETS}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", module, *arguments], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_action_server_refuses_a_placeholder_token(tmp_path):
    done = run_entry_point(
        "bot.rasa_extensions.action_server",
        ["--actions", "actions", "--port", str(free_port())],
        ACTION_SERVER_TOKEN="change-me-at-least-16-characters",
        BOT_VAR_DIR=str(tmp_path),
    )
    assert done.returncode != 0 and "Cannot start: ACTION_SERVER_TOKEN " in done.stderr, done.stderr[-2000:]


def test_the_rasa_server_refuses_a_short_token(tmp_path):
    done = run_entry_point(
        "bot.rasa_extensions.rasa_server",
        ["run", "--enable-api", "--port", str(free_port())],
        RASA_TOKEN="supervisor-test",
        BOT_VAR_DIR=str(tmp_path),
    )
    assert done.returncode != 0 and "Cannot start: RASA_TOKEN " in done.stderr, done.stderr[-2000:]


def test_the_rasa_launcher_puts_the_token_in_rasas_arguments_only():
    token = strong()
    assert rasa_server.rasa_arguments(["run", "--enable-api"], token) == ["rasa", "run", "--enable-api", "--auth-token", token]
    for given in (["run", "--auth-token", token], ["run", "-t", token], ["run", f"--auth-token={token}"]):
        with pytest.raises(SystemExit, match="RASA_TOKEN, not on the command line"):
            rasa_server.rasa_arguments(given, token)


def test_no_server_command_carries_a_secret(tmp_path):
    from bot.ops import supervisor

    settings = settings_for_tests(f"sqlite:///{tmp_path / 'c.db'}", tmp_path)
    commands = [
        supervisor.rasa_server_command(settings, Path("model.tar.gz")),
        supervisor.action_server_command(settings),
        supervisor.web_server_command(settings),
    ]
    hidden = set(bot_settings.secrets_of(dataclasses.replace(settings, public_rest_token="p-" + uuid.uuid4().hex)).values())
    assert not any(word in hidden for command in commands for word in command), commands
    assert commands[0][:4] == [sys.executable, "-m", "bot.rasa_extensions.rasa_server", "run"]


# --- the real servers: read their command lines as ps does ---------------------------------------
