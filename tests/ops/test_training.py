"""The model is retrained only when what training reads has changed."""

from __future__ import annotations

import os
import subprocess

from bot import paths
from bot.ops import training


def test_fingerprint_covers_config_domain_data_and_pins():
    inputs = {p.relative_to(paths.ROOT).as_posix() for p in training.training_inputs()}
    assert {"config.yml", "domain.yml", "requirements.lock", "data/rules.yml", "data/stories.yml"} <= inputs
    assert "data/nlu/presence_en_ligne.yml" in inputs
    # our trainable components
    assert {"bot/rasa_extensions/policies.py", "bot/rasa_extensions/nlu/tfidf_intent_classifier.py"} <= inputs
    assert "data/needs.yml" not in inputs  # read at run time by the actions, no retraining needed


def test_fingerprint_is_stable_and_changes_with_the_inputs(tmp_path):
    first = training.fingerprint()
    assert training.fingerprint() == first
    other_config = tmp_path / "config.yml"
    other_config.write_text(paths.CONFIG.read_text() + "\n# changed\n")
    assert training.fingerprint(other_config) != first


def test_existing_model_is_reused_without_starting_rasa(model, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("rasa train was started although the model is up to date")

    monkeypatch.setattr(subprocess, "run", no_training)
    assert training.ensure_model() == model


def test_old_models_are_pruned(tmp_path):
    models = []
    for i in range(6):
        path = tmp_path / f"model-{i}.tar.gz"
        path.write_bytes(b"x")
        os.utime(path, (1000 + i, 1000 + i))
        models.append(path)
    training.prune_old_models(tmp_path, keep=models[-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-3.tar.gz", "model-4.tar.gz", "model-5.tar.gz"]
