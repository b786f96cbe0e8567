"""`bot eval`: score the trained model and the baseline on the held-out test sets.

Two sets, reported side by side: `tests/nlu_test.yml` (written in the style of the training data,
by an author who never saw it) and `tests/nlu_realstyle_test.yml` (first messages in the forms
real people write them: a greeting in front, context first, a named site or tool; issue 28).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot import paths
from bot.evaluation import baseline, report
from bot.evaluation.dataset import (
    REAL_STYLE_INTENTS,
    REAL_STYLE_TEST_SET,
    SCORED_INTENTS,
    Example,
    held_out_examples,
    real_style_examples,
    training_examples,
)
from bot.evaluation.metrics import Scores, percentile_ms, score
from bot.evaluation.rasa_nlu import Parse, parse_all

FALLBACK = "nlu_fallback"
PNGS = {"held-out": "nlu_confusion.png", "real-style": "nlu_realstyle_confusion.png"}  # the confusion matrices


@dataclass(frozen=True)
class HoldoutResult:
    rasa: Scores  # the classifier's best intent
    rasa_with_fallback: Scores  # what the assistant acts on: low confidence -> nlu_fallback
    baseline: Scores
    fallback_rate: float  # the share sent to the menu of needs
    acted_accuracy: float  # right intent acted on (a fallback counts as not understood)
    latency_p50_ms: float
    latency_p95_ms: float
    n_test: int
    n_train: int


@dataclass(frozen=True)
class TestSet:
    name: str
    path: Path
    examples: list[Example]
    scored: list[str]


def test_sets() -> list[TestSet]:
    return [
        TestSet("held-out", paths.NLU_TEST_SET, held_out_examples(), SCORED_INTENTS),
        TestSet("real-style", REAL_STYLE_TEST_SET, real_style_examples(), REAL_STYLE_INTENTS),
    ]


def _score_set(test: TestSet, parses: list[Parse], base_model, n_train: int) -> tuple[HoldoutResult, list[str], list[str]]:
    truth = [e.intent for e in test.examples]
    predicted = [p.classifier_intent for p in parses]
    acted = [p.intent for p in parses]
    base_predicted = baseline.predict(base_model, [e.text for e in test.examples])
    seconds = [p.seconds for p in parses]
    result = HoldoutResult(
        rasa=score(truth, predicted, test.scored),
        rasa_with_fallback=score(truth, acted, test.scored),
        baseline=score(truth, base_predicted, test.scored),
        fallback_rate=sum(a == FALLBACK for a in acted) / len(acted),
        acted_accuracy=sum(a == t for a, t in zip(acted, truth, strict=True)) / len(acted),
        latency_p50_ms=percentile_ms(seconds, 50),
        latency_p95_ms=percentile_ms(seconds, 95),
        n_test=len(truth),
        n_train=n_train,
    )
    return result, truth, predicted


def evaluate_all(model: Path, sets: list[TestSet] | None = None) -> dict[str, tuple[HoldoutResult, list[str], list[str]]]:
    """Every held-out set (`sets`, read if not given), parsed with one load of the model."""
    train, sets = training_examples(), test_sets() if sets is None else sets
    texts = [e.text for s in sets for e in s.examples]
    parses = parse_all(model, texts)
    base_model = baseline.train_baseline(train)
    results, start = {}, 0
    for test in sets:
        end = start + len(test.examples)
        results[test.name] = _score_set(test, parses[start:end], base_model, len(train))
        start = end
    return results


def summary_table(results: dict[str, HoldoutResult]) -> str:
    rows = [
        "| test set | n | accuracy | acted-on accuracy | sent to the menu | macro-F1 | baseline accuracy | baseline macro-F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        rows.append(
            f"| {name} | {r.n_test} | {r.rasa.accuracy:.3f} | {r.acted_accuracy:.3f} | {r.fallback_rate:.1%} | "
            f"{r.rasa.macro_f1:.3f} | {r.baseline.accuracy:.3f} | {r.baseline.macro_f1:.3f} |"
        )
    return "\n".join(rows)


def _section(title: str, source: str, result: HoldoutResult, png: str) -> str:
    return f"""## {title}

{result.n_test} test examples (`{source}`).

{report.side_by_side_table(result.rasa, result.baseline)}

With the FallbackClassifier applied (low confidence becomes `nlu_fallback`, which makes the
assistant offer the menu of needs rather than guess): macro-F1 {result.rasa_with_fallback.macro_f1:.3f},
{result.fallback_rate:.1%} of test messages sent to the menu, {result.acted_accuracy:.1%} acted on with the right intent.

Most confused pairs (Rasa):

{report.confused_table(result.rasa)}

![confusion matrix]({png})
"""


def render(results: dict[str, HoldoutResult], model: Path) -> str:
    first = next(iter(results.values()))
    held, real = results["held-out"], results["real-style"]
    return f"""# NLU evaluation on the held-out test sets

Model `{model.name}`, {first.n_train} training examples. Two held-out sets, never used for
training: `tests/nlu_test.yml`, written independently in the style of the training data, and
`tests/nlu_realstyle_test.yml`, first messages in the forms real people write them (a greeting
in front, context first and the question last, a named site or tool, a procedure in progress).
Macro-F1 is over the nine needs, `out_of_scope` and (held-out set only) `ask_human`. « Accuracy »
is the classifier's best intent; « acted-on accuracy » counts a message sent to the menu of needs
as not understood. The baseline is TF-IDF char+word n-grams + logistic regression on the same
training data. Generated by `make eval`.

{summary_table(results)}

{_section("Held-out set (style of the training data)", "tests/nlu_test.yml", held, PNGS["held-out"])}
{_section("Real-style set", "tests/nlu_realstyle_test.yml", real, PNGS["real-style"])}
## Parse latency (in-process, one message at a time)

p50 {held.latency_p50_ms:.1f} ms, p95 {held.latency_p95_ms:.1f} ms.
"""


def run(model: Path, out_dir: Path = paths.REPORTS) -> dict[str, HoldoutResult]:
    sets = test_sets()
    evaluated = evaluate_all(model, sets)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {name: r for name, (r, _, _) in evaluated.items()}
    (out_dir / "nlu.md").write_text(render(results, model), encoding="utf-8")
    scored = {s.name: s.scored for s in sets}
    for name, (_, truth, predicted) in evaluated.items():
        report.write_confusion_png(
            truth, predicted, scored[name], out_dir / PNGS[name], title=f"NLU confusion matrix ({name} test set)"
        )
    return results
