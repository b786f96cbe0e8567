from __future__ import annotations

import secrets
import stat

import pytest

from bot import settings


def test_defaults_are_loopback_and_embedded_sqlite(tmp_path, monkeypatch):
    for name in ["BIND_HOST", "RASA_PORT", "ACTION_PORT", "RASA_TOKEN", "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    loaded = settings.load()
    assert loaded.bind_host == "127.0.0.1"
    assert (loaded.rasa_port, loaded.action_port) == (5005, 5055)
    assert loaded.database_url == f"sqlite:///{tmp_path / 'mediation.db'}"
    assert loaded.rasa_environment() == {
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        "ACTION_SERVER_TOKEN": loaded.action_server_token,
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_URL": loaded.database_url,
        "RASA_TELEMETRY_ENABLED": "false",
    }
    # the action server's secret is generated once, kept private, distinct from Rasa's token
    assert len(loaded.action_server_token) >= 32 and loaded.action_server_token != loaded.rasa_token
    assert (tmp_path / "action_server_token").stat().st_mode & 0o077 == 0


def test_generated_token_is_kept_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    token = settings.load().rasa_token
    assert len(token) >= 32
    assert settings.load().rasa_token == token
    assert stat.S_IMODE((tmp_path / "rasa_token").stat().st_mode) == 0o600
    from_env = "from-env-" + secrets.token_urlsafe(32)
    monkeypatch.setenv("RASA_TOKEN", from_env)
    assert settings.load().rasa_token == from_env


def test_postgresql_url_and_bad_port(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@127.0.0.1:5432/test")
    assert settings.load().rasa_environment()["TRACKER_DIALECT"] == "postgresql"
    monkeypatch.setenv("RASA_PORT", "cinq")
    with pytest.raises(SystemExit, match="RASA_PORT must be an integer"):
        settings.load()


def test_current_reads_the_environment_again_only_when_it_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RASA_PORT", "5101")
    first = settings.current()
    assert first.rasa_port == 5101
    reads, read = [], settings._settings_for
    monkeypatch.setattr(settings, "_settings_for", lambda environment: reads.append(1) or read(environment))
    assert settings.current() is first and settings.current() is first
    assert reads == []  # the same environment: not even decoded and sorted again
    monkeypatch.setenv("RASA_PORT", "5102")
    assert settings.current().rasa_port == 5102 and settings.current().rasa_port == 5102
    assert reads == [1]  # changed: read once
