"""CONVERSATION_IDLE_MINUTES (bot/settings.py): how long a conversation stays resumable from a
browser (tests/web/test_shared_computer.py, tests/e2e/test_shared_computer.py)."""

from __future__ import annotations


def test_the_setting_is_read_from_the_environment(monkeypatch):
    from bot import settings

    monkeypatch.setenv("CONVERSATION_IDLE_MINUTES", "12")
    assert settings.load().conversation_idle_minutes == 12
    monkeypatch.delenv("CONVERSATION_IDLE_MINUTES")
    assert settings.load().conversation_idle_minutes == 30
