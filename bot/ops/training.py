"""Train the Rasa model only when its inputs changed.

The model archive is named after a fingerprint of everything training reads (config, domain,
training data, pinned dependencies), so a run with unchanged inputs finds its model at once,
without even importing Rasa. Rasa's own component cache (under .rasa/cache) then makes a
retrain after a small change cheaper.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot import paths

MODEL_PREFIX = "model-"
KEEP_MODELS = 3
OWN_COMPONENTS = [
    paths.ROOT / "bot" / "rasa_extensions" / "policies.py",
    *sorted((paths.ROOT / "bot" / "rasa_extensions" / "nlu").glob("*.py")),
]


def training_inputs(config: Path = paths.CONFIG) -> list[Path]:
    files = [config, paths.DOMAIN, paths.ROOT / "requirements.lock"]
    files += OWN_COMPONENTS  # our trainable components' code
    for source in paths.RASA_TRAINING_DATA:
        files.extend(sorted(source.rglob("*.yml")) if source.is_dir() else [source])
    return files


def fingerprint(config: Path = paths.CONFIG) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(config):
        label = path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path.name
        digest.update(str(label).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(models_dir: Path = paths.MODELS) -> Path:
    return models_dir / f"{MODEL_PREFIX}{fingerprint()}.tar.gz"


def rasa_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rasa", *args]


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_CACHE_DIRECTORY", str(paths.ROOT / ".rasa" / "cache"))
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def training_data_args() -> list[str]:
    return ["--data", *[str(p) for p in paths.RASA_TRAINING_DATA]]


def train_command(
    target: Path, config: Path = paths.CONFIG, domain: Path = paths.DOMAIN, data: list[Path] | None = None
) -> list[str]:
    """`rasa train` writing the model to `target` (our config, domain and data unless given)."""
    data_args = training_data_args() if data is None else ["--data", *map(str, data)]
    return rasa_command(
        "train",
        "--config",
        str(config),
        "--domain",
        str(domain),
        *data_args,
        "--out",
        str(target.parent),
        "--fixed-model-name",
        target.name,
    )


def ensure_model(models_dir: Path = paths.MODELS, force: bool = False) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    target = model_path(models_dir)
    if target.exists() and not force:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    # two processes asking at once (two terminals, the test workers): one trains, the other waits
    with open(models_dir / ".training.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and not force:
            return target
        print(f"Training the model ({target.name}); this takes a few minutes…", flush=True)
        subprocess.run(train_command(target), check=True, cwd=paths.ROOT, env=rasa_env())
        prune_old_models(models_dir, keep=target)
    return target


def prune_old_models(models_dir: Path, keep: Path) -> None:
    """Keep the newest few models (for comparison), delete older ones."""
    models = sorted(models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in [m for m in models if m != keep][: max(0, len(models) - KEEP_MODELS)]:
        old.unlink()
