"""All runtime configuration, read from the environment in one place.

Defaults give the embedded set-up: servers on loopback, SQLite file under var/.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import paths


# The service's local time: slots, opening hours and dates said to people.
PARIS = ZoneInfo("Europe/Paris")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _persistent_secret(name: str, var_dir: Path) -> str:
    """A secret from the environment, or one generated once and kept in var/ (mode 600)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = var_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def database_dialect(url: str) -> str:
    """SQLAlchemy dialect name of a database URL ('postgresql+psycopg2://' -> 'postgresql')."""
    scheme = url.split("://", 1)[0]
    return scheme.split("+", 1)[0]


@dataclass(frozen=True)
class Settings:
    bind_host: str
    rasa_port: int
    action_port: int
    rasa_token: str
    database_url: str
    var_dir: Path

    @property
    def rasa_url(self) -> str:
        return f"http://{self.bind_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.bind_host}:{self.action_port}/webhook"

    def rasa_environment(self) -> dict[str, str]:
        """Variables that endpoints.yml refers to."""
        return {
            "ACTION_ENDPOINT_URL": self.action_url,
            "TRACKER_DIALECT": database_dialect(self.database_url),
            "TRACKER_URL": self.database_url,
        }


def var_directory() -> Path:
    return Path(os.environ.get("BOT_VAR_DIR", str(paths.VAR))).resolve()


def database_url() -> str:
    """DATABASE_URL, or the embedded SQLite file under var/."""
    return os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{var_directory() / 'mediation.db'}"


def load() -> Settings:
    var_dir = var_directory()
    var_dir.mkdir(parents=True, exist_ok=True)
    return Settings(
        bind_host=os.environ.get("BIND_HOST", "127.0.0.1"),
        rasa_port=_int_env("RASA_PORT", 5005),
        action_port=_int_env("ACTION_PORT", 5055),
        rasa_token=_persistent_secret("RASA_TOKEN", var_dir),
        database_url=database_url(),
        var_dir=var_dir,
    )
