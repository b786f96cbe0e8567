"""Write the evaluation as Markdown and a confusion-matrix PNG."""

from __future__ import annotations

from pathlib import Path

from bot.evaluation.metrics import Scores


def side_by_side_table(rasa: Scores, baseline: Scores) -> str:
    rows = [
        "| intent | Rasa P | Rasa R | Rasa F1 | baseline F1 | n |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base_f1 = {s.intent: s.f1 for s in baseline.per_intent}
    for s in rasa.per_intent:
        rows.append(f"| {s.intent} | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} | {base_f1[s.intent]:.2f} | {s.support} |")
    rows.append(f"| **macro-F1** | | | **{rasa.macro_f1:.3f}** | **{baseline.macro_f1:.3f}** | |")
    rows.append(f"| accuracy (all test intents) | | | {rasa.accuracy:.3f} | {baseline.accuracy:.3f} | |")
    return "\n".join(rows)


def confused_table(scores: Scores) -> str:
    if not scores.confused_pairs:
        return "No confusions."
    rows = ["| true intent | predicted | count |", "|---|---|---:|"]
    rows += [f"| {t} | {p} | {n} |" for t, p, n in scores.confused_pairs]
    return "\n".join(rows)


def write_confusion_png(
    truth: list[str], predicted: list[str], labels: list[str], path: Path, title: str = "NLU confusion matrix (held-out test set)"
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    extra = sorted(set(truth) | set(predicted) - set(labels))
    all_labels = labels + [label for label in extra if label not in labels]
    matrix = confusion_matrix(truth, predicted, labels=all_labels)
    fig, ax = plt.subplots(figsize=(12, 11))
    ConfusionMatrixDisplay(matrix, display_labels=all_labels).plot(ax=ax, xticks_rotation=75, colorbar=False, cmap="Blues")
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
