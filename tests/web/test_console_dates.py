"""How the console writes a date and a moment (bot/web/templating.py's `local`, as the console
exports it)."""

from __future__ import annotations


def test_the_console_shows_a_day_without_a_time_and_a_moment_with_its_time():
    from datetime import datetime

    from bot.settings import PARIS
    from bot.web.console import local

    assert local(datetime(2026, 12, 28, tzinfo=PARIS)) == "28/12/2026"  # a follow-up date, a deadline
    assert local(datetime(2026, 12, 28, 14, 30, tzinfo=PARIS)) == "28/12/2026 14:30"
    assert local(None) == ""
