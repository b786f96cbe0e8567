"""Share of the held-out typed answers (tests/typed_answers_test.yml) mapped to the right option."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from bot import paths
from bot.domain import options
from bot.language.textnorm import normalize

TEST_SET = paths.TESTS / "typed_answers_test.yml"


@dataclass(frozen=True)
class TypedAnswer:
    question: str
    text: str
    expected: str


@dataclass
class Score:
    total: int = 0
    right: int = 0
    asked_which: int = 0  # two options equally close: the person is asked which one (not counted right)
    misses: list[tuple[TypedAnswer, str]] = field(default_factory=list)  # (answer, what was understood)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def test_answers() -> list[TypedAnswer]:
    data = yaml.safe_load(TEST_SET.read_text(encoding="utf-8"))
    return [
        TypedAnswer(question, str(text), str(expected))
        for question, by_option in data.items()
        for expected, texts in by_option.items()
        for text in texts
    ]


def copied_synonyms(answers: list[TypedAnswer]) -> list[TypedAnswer]:
    """Test answers that are literally a synonym (or the title) of an option of their question."""
    copied = []
    for answer in answers:
        known = {normalize(s) for o in options.for_question(answer.question) for s in (o.title, *o.synonyms)}
        if normalize(answer.text) in known:
            copied.append(answer)
    return copied


def evaluate(answers: list[TypedAnswer] | None = None) -> Score:
    score = Score()
    for answer in answers if answers is not None else test_answers():
        result = options.understand(answer.question, answer.text)
        score.total += 1
        if result.option is not None and result.option.key == answer.expected:
            score.right += 1
            continue
        score.asked_which += result.ambiguous
        understood = result.option.key if result.option else ("?" + "|".join(o.key for o in result.candidates))
        score.misses.append((answer, understood))
    return score


def report(score: Score) -> str:
    lines = [
        f"Typed answers mapped to the right option: {score.right}/{score.total} = {score.accuracy:.1%} "
        f"({score.asked_which} asked « which one? », {len(score.misses) - score.asked_which} wrong or not understood)."
    ]
    lines += [f"  {a.question}: {a.text!r} -> {got or 'nothing'} (expected {a.expected})" for a, got in score.misses]
    return "\n".join(lines)
