"""The held-out deadlines (tests/dates_test.yml): every one read as the person meant, or asked again
where the assistant should not guess; each with its own reference date, never today's."""

from __future__ import annotations

from datetime import date

from bot.evaluation import dates
from bot.language.dates import french_date, parse_deadline


def test_every_held_out_deadline_is_read_as_meant_or_asked_again():
    score = dates.evaluate()
    assert score.total >= 40
    assert score.misses == [], dates.report(score)


def test_the_set_has_dates_to_ask_again_and_several_reference_dates():
    deadlines = dates.test_deadlines()
    assert any(d.expected is None for d in deadlines)
    assert len({d.today for d in deadlines}) >= 3


def test_the_end_of_a_named_month_is_that_month_not_the_current_one():
    today = date(2026, 12, 7)
    deadline = parse_deadline("fin du mois de mars", today)
    assert deadline == date(2027, 3, 31)
    assert french_date(deadline, today) == "mercredi 31 mars 2027"
    assert french_date(date(2027, 1, 1), today) == "vendredi 1er janvier 2027"


def test_a_miss_is_reported_with_what_was_understood():
    missed = dates.evaluate([dates.Deadline(date(2026, 12, 7), "fin janvier", date(2027, 1, 15))])
    assert missed.right == 0
    assert "'fin janvier' -> dimanche 31 janvier 2027 (expected vendredi 15 janvier 2027)" in dates.report(missed)
