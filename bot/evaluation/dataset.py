"""Labelled examples from Rasa NLU YAML files, and the overlap check between train and test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from bot import paths
from bot.language.textnorm import normalize
from bot.schemas import NEED_IDS

# The intents the quality target is computed over: the nine needs, out_of_scope, ask_human.
SCORED_INTENTS = [*NEED_IDS, "out_of_scope", "ask_human"]
# The real-style held-out set (issue 28) holds first messages only: the nine needs and out_of_scope.
REAL_STYLE_INTENTS = [*NEED_IDS, "out_of_scope"]
REAL_STYLE_TEST_SET = paths.TESTS / "nlu_realstyle_test.yml"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


def load_examples(sources: Iterable[Path]) -> list[Example]:
    """Plain texts (entity annotations removed) with their intent."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for source in sources:
        files = sorted(source.rglob("*.yml")) if source.is_dir() else [source]
        for file in files:
            data = load_data(str(file))
            examples.extend(Example(m.get("text"), m.get("intent")) for m in data.intent_examples)
    return examples


def training_examples() -> list[Example]:
    return load_examples([paths.NLU_DATA])


def held_out_examples() -> list[Example]:
    return load_examples([paths.NLU_TEST_SET])


def real_style_examples() -> list[Example]:
    """First messages in the forms real people write them, modelled on public help pages and forums."""
    return load_examples([REAL_STYLE_TEST_SET])


def _trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _jaccard(a: set[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def find_overlaps(
    train: list[Example], test: list[Example], char_threshold: float = 0.8, word_threshold: float = 0.7
) -> list[tuple[str, str, float]]:
    """Test examples identical or nearly identical to a training example.

    Two normalised texts are too close when their character trigrams overlap at
    `char_threshold` (copies with typos or accents changed) or, for texts of 4 words or more,
    their words overlap at `word_threshold` (a template with one word swapped).
    Returns (test text, train text, score).
    """
    prepared = [(ex.text, _trigrams(normalize(ex.text)), set(normalize(ex.text).split())) for ex in train]
    overlaps = []
    for ex in test:
        grams, words = _trigrams(normalize(ex.text)), set(normalize(ex.text).split())
        for train_text, other_grams, other_words in prepared:
            char_score = _jaccard(grams, other_grams)
            long_enough = min(len(words), len(other_words)) >= 4
            word_score = _jaccard(words, other_words) if long_enough else 0.0
            if char_score >= char_threshold or word_score >= word_threshold:
                overlaps.append((ex.text, train_text, round(max(char_score, word_score), 3)))
                break
    return overlaps
