"""The evaluation helpers: overlap detection, scoring, baseline, report."""

from __future__ import annotations

from bot.evaluation import baseline, report
from bot.evaluation.dataset import Example, find_overlaps, normalize
from bot.evaluation.metrics import percentile_ms, score


def test_normalize_removes_case_accents_and_punctuation():
    assert normalize("  Déclarer l'URSSAF !! ") == "declarer l urssaf"


def test_overlap_catches_copies_and_light_edits_but_not_other_phrasings():
    train = [Example("je voudrais créer un site internet pour ma boulangerie", "presence_en_ligne")]
    test = [
        Example("Je voudrais creer un site internet pour ma boulangerie !", "presence_en_ligne"),
        Example("je voudrais créer un site internet pour ma patisserie", "presence_en_ligne"),
        Example("comment declarer la tva en ligne", "demarches_en_ligne"),
    ]
    found = [t for t, _, _ in find_overlaps(train, test)]
    assert found == [test[0].text, test[1].text]


def test_score_counts_unknown_predictions_as_errors():
    truth = ["a", "a", "b", "b"]
    predicted = ["a", "nlu_fallback", "b", "a"]
    scores = score(truth, predicted, ["a", "b"])
    by_intent = {s.intent: s for s in scores.per_intent}
    assert by_intent["a"].recall == 0.5 and by_intent["a"].precision == 0.5
    assert by_intent["b"].precision == 1.0 and by_intent["b"].recall == 0.5
    assert abs(scores.macro_f1 - (0.5 + 2 / 3) / 2) < 1e-9
    assert scores.accuracy == 0.5
    assert ("a", "nlu_fallback", 1) in scores.confused_pairs
    assert "| a | nlu_fallback | 1 |" in report.confused_table(scores)


def test_percentiles_in_milliseconds():
    assert percentile_ms([0.001, 0.002, 0.003], 50) == 2.0
    assert percentile_ms([], 95) == 0.0


def test_baseline_learns_a_tiny_problem():
    train = [Example(t, "site") for t in ["site web", "site internet", "mon site", "faire un site"]]
    train += [Example(t, "urssaf") for t in ["urssaf", "declaration urssaf", "site urssaf compte", "cotisations urssaf"]]
    model = baseline.train_baseline(train)
    assert baseline.predict(model, ["declarer a l urssaf", "un site web"]) == ["urssaf", "site"]


def test_confusion_png_is_written(tmp_path):
    out = tmp_path / "c.png"
    report.write_confusion_png(["a", "b"], ["a", "nlu_fallback"], ["a", "b"], out)
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_the_report_shows_both_held_out_sets_side_by_side():
    """`make eval` writes the real-style set beside the held-out one: accuracy, share sent to
    the menu, macro-F1, the baseline, and a confusion matrix for each (docs/nlu.md)."""
    from pathlib import Path

    from bot.evaluation import holdout

    scores = score(["a", "b", "b"], ["a", "b", "a"], ["a", "b"])
    base = score(["a", "b", "b"], ["a", "a", "a"], ["a", "b"])

    def result(menu: float) -> holdout.HoldoutResult:
        return holdout.HoldoutResult(scores, scores, base, menu, 0.5, 10.0, 20.0, 3, 100)

    page = holdout.render({"held-out": result(0.1), "real-style": result(0.02)}, Path("model-x.tar.gz"))
    assert "| held-out | 3 | 0.667 | 0.500 | 10.0% |" in page
    assert "| real-style | 3 | 0.667 | 0.500 | 2.0% |" in page
    assert "## Real-style set" in page and "nlu_realstyle_confusion.png" in page and "nlu_confusion.png" in page
