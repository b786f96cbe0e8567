"""Scores of a classifier on labelled examples."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_fscore_support


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    per_intent: list[IntentScore]
    macro_f1: float
    accuracy: float
    confused_pairs: list[tuple[str, str, int]]


def score(truth: list[str], predicted: list[str], scored_intents: list[str]) -> Scores:
    """Per-intent precision/recall/F1 and macro-F1 over `scored_intents`.

    Every prediction counts (a prediction of an intent outside the list is simply wrong).
    """
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=scored_intents, zero_division=0)
    per_intent = [
        IntentScore(intent, float(p), float(r), float(f), int(s))
        for intent, p, r, f, s in zip(scored_intents, precision, recall, f1, support, strict=False)
    ]
    confused = Counter((t, p) for t, p in zip(truth, predicted, strict=False) if t != p)
    return Scores(
        per_intent=per_intent,
        macro_f1=float(np.mean(f1)),
        accuracy=float(np.mean([t == p for t, p in zip(truth, predicted, strict=False)])) if truth else 0.0,
        confused_pairs=[(t, p, n) for (t, p), n in confused.most_common(10)],
    )


def percentile_ms(durations_s: list[float], q: float) -> float:
    return float(np.percentile(np.array(durations_s) * 1000.0, q)) if durations_s else 0.0
