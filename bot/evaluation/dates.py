"""Share of the held-out deadlines (tests/dates_test.yml) read as the person meant: the right day, or
asked again where the assistant should not guess."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import yaml

from bot import paths
from bot.language.dates import french_date, parse_deadline

TEST_SET = paths.TESTS / "dates_test.yml"
ASK_AGAIN = "ask again"


@dataclass(frozen=True)
class Deadline:
    today: date
    text: str
    expected: date | None  # None: ask again


@dataclass
class Score:
    total: int = 0
    right: int = 0
    misses: list[tuple[Deadline, date | None]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def test_deadlines() -> list[Deadline]:
    data = yaml.safe_load(TEST_SET.read_text(encoding="utf-8"))
    return [
        Deadline(reference["today"], str(text), None if expected == ASK_AGAIN else expected)
        for reference in data["references"]
        for text, expected in reference["deadlines"].items()
    ]


def evaluate(deadlines: list[Deadline] | None = None) -> Score:
    score = Score()
    for deadline in deadlines if deadlines is not None else test_deadlines():
        got = parse_deadline(deadline.text, deadline.today)
        score.total += 1
        if got == deadline.expected:
            score.right += 1
        else:
            score.misses.append((deadline, got))
    return score


def report(score: Score) -> str:
    def said(day: date | None, today: date) -> str:
        return ASK_AGAIN if day is None else french_date(day, today)

    lines = [f"Deadlines read as meant (or asked again): {score.right}/{score.total} = {score.accuracy:.1%}."]
    lines += [f"  {d.today} {d.text!r} -> {said(got, d.today)} (expected {said(d.expected, d.today)})" for d, got in score.misses]
    return "\n".join(lines)
