"""Rasa's own checks: data validation and the end-to-end test stories."""

from __future__ import annotations

import subprocess

from bot import paths
from bot.ops import training
from bot.ops.cli import validate_data


def test_rasa_data_validate_passes_with_warnings_as_failures():
    assert validate_data() == 0


def test_end_to_end_stories_have_no_prediction_error(model, tmp_path):
    result = subprocess.run(
        training.rasa_command(
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(paths.TEST_STORIES),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ),
        cwd=paths.ROOT,
        env=training.rasa_env(),
        capture_output=True,
        text=True,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + details
