"""Production refuses to start without who publishes the service (bot/settings.py:
require_publisher): the privacy and legal notices a public service publishes need it. The web app's
own refusal: tests/web/test_notices.py."""

from __future__ import annotations

import pytest

from bot import settings as bot_settings


def test_make_run_prod_refuses_to_start_without_the_publisher(monkeypatch):
    from bot.ops import production

    for variable in bot_settings.PUBLISHER_SETTINGS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(production, "check_services", lambda layout: pytest.fail("went past the settings"))
    with pytest.raises(bot_settings.MissingPublisher):
        production.run_forever()


def test_bot_run_served_over_https_refuses_to_start_without_the_publisher(tmp_path, monkeypatch):
    from bot.ops import cli

    for variable in bot_settings.PUBLISHER_SETTINGS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PUBLIC_TLS", "1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'run.db'}")
    with pytest.raises(bot_settings.MissingPublisher):
        cli.main(["run"])
    assert not (tmp_path / "run.db").exists()  # refused before the database was prepared
