"""`bot compare-pipelines`: cross-validate candidate NLU pipelines on the same folds.

Each candidate config is trained on k-1 folds of the training data and scored on the
remaining fold, with the same seeded folds for every candidate, so the comparison is fair
and reproducible.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot import paths
from bot.evaluation.dataset import SCORED_INTENTS
from bot.evaluation.metrics import percentile_ms, score
from bot.evaluation.rasa_nlu import parse_all


@dataclass(frozen=True)
class CandidateResult:
    config: Path
    fold_macro_f1: list[float]
    fold_accuracy: list[float]
    train_seconds: float
    parse_p50_ms: float

    @property
    def mean_macro_f1(self) -> float:
        return statistics.mean(self.fold_macro_f1)

    @property
    def std_macro_f1(self) -> float:
        return statistics.pstdev(self.fold_macro_f1)


def seeded_folds(n_folds: int, seed: int = 42):
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    data = load_data(str(paths.NLU_DATA))
    examples = data.intent_examples
    labels = [e.get("intent") for e in examples]
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(examples, labels):
        train = TrainingData(
            training_examples=[examples[i] for i in train_idx],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        yield train, [examples[i] for i in test_idx]


def evaluate_candidate(config: Path, n_folds: int, workdir: Path) -> CandidateResult:
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    f1s, accuracies, train_times, parse_times = [], [], [], []
    for i, (train, test) in enumerate(seeded_folds(n_folds)):
        fold_file = workdir / f"fold{i}.yml"
        fold_file.write_text(RasaYAMLWriter().dumps(train), encoding="utf-8")
        started = time.perf_counter()
        model = train_nlu(str(config), str(fold_file), str(workdir), fixed_model_name=f"{config.stem}-{i}")
        train_times.append(time.perf_counter() - started)
        parses = parse_all(Path(model), [m.get("text") for m in test])
        scores = score([m.get("intent") for m in test], [p.classifier_intent for p in parses], SCORED_INTENTS)
        f1s.append(scores.macro_f1)
        accuracies.append(scores.accuracy)
        parse_times.extend(p.seconds for p in parses)
    return CandidateResult(config, f1s, accuracies, statistics.mean(train_times), percentile_ms(parse_times, 50))


def compare(configs: list[Path], n_folds: int = 3) -> list[CandidateResult]:
    with tempfile.TemporaryDirectory(prefix="cv-") as tmp:
        return [evaluate_candidate(c, n_folds, Path(tmp)) for c in configs]


def render(results: list[CandidateResult], n_folds: int) -> str:
    rows = [
        f"| pipeline | macro-F1 ({n_folds}-fold mean ± sd) | accuracy | train s / fold | parse p50 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: -r.mean_macro_f1):
        rows.append(
            f"| `{r.config.relative_to(paths.ROOT)}` | {r.mean_macro_f1:.3f} ± {r.std_macro_f1:.3f} | "
            f"{statistics.mean(r.fold_accuracy):.3f} | {r.train_seconds:.0f} | {r.parse_p50_ms:.1f} |"
        )
    return "\n".join(rows)
