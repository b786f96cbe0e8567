"""`make run-prod` on its default ports, as a user starts it: the process, its environment, and the
`run_prod` fixture (a deployment on PostgreSQL and Redis, stopped and its ports free afterwards)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from bot import paths
from bot import settings as bot_settings
from bot.ops import production
from tests.support.databases import fresh_database_url
from tests.support.processes import PORT_SETTINGS, PUBLISHER_ENVIRONMENT
from tests.support.services import REDIS_URL, require_redis

PUBLIC = "http://127.0.0.1:8080"  # make run-prod's default public port


PUBLIC_TOKEN = "public-" + uuid.uuid4().hex


AUTHORIZED = {"Authorization": f"Bearer {PUBLIC_TOKEN}"}

# One person's conversation to the end of the questionnaire, played by the production load tests
# while a server is killed (tests/ops/test_run_prod.py, tests/ops/test_scale.py).
LOAD_SCRIPT = [
    "bonjour",
    "je voudrais que mes clients me trouvent sur internet",
    "oui",
    "non",
    "pas vraiment",
    "passer",
    "non merci",
    "merci",
]


class RunProd:
    """`python -m bot.ops.cli run-prod` as a user starts it, its output collected."""

    def __init__(self, env: dict[str, str]):
        self.logs = Path(env["BOT_VAR_DIR"]) / "prod" / "logs"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.ops.cli", "run-prod"],
            cwd=paths.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def stop(self) -> None:
        """Ctrl-C as a user would (SIGTERM), killed if it has not stopped within a minute."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _read(self) -> None:
        for line in iter(self.process.stdout.readline, ""):
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                tails = "".join(
                    f"\n--- {log.name}:\n" + "".join(log.read_text(errors="replace").splitlines(True)[-15:])
                    for log in sorted(self.logs.glob("*.log"))
                )
                pytest.fail(f"run-prod: no {needle!r} (exit {self.process.poll()}):\n{self.output[-4000:]}{tails}")
            time.sleep(0.5)


def user_environment(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PORT_SETTINGS}
    env.update(
        DATABASE_URL=database_url, REDIS_URL=REDIS_URL, BOT_VAR_DIR=str(var_dir), PUBLIC_REST_WEBHOOK_TOKEN=PUBLIC_TOKEN
    )  # the REST webhook on the public port needs it
    env.update(PUBLISHER_ENVIRONMENT)  # production refuses to start without the publisher's details
    # these people all come from 127.0.0.1 and type like a script: the rate limits (bot/rate_limits.py,
    # tested in tests/unit/channels/test_public_chat_units.py, tests/e2e/test_public_chat_rest.py) would refuse them
    env.update(RATE_LIMIT_CLIENT_PER_MINUTE="0", RATE_LIMIT_HANDOVERS_PER_HOUR="0", RATE_LIMIT_CONVERSATION_PER_MINUTE="0")
    for name in (
        "RASA_TOKEN",
        "CONVERSATION_SECRET",
        "SESSION_SECRET",
        "ACTION_SERVER_TOKEN",
        "RASA_API_URL",
        "WEB_ALLOWED_ORIGINS",
        "PUBLIC_SOCKET_URL",
    ):
        env.pop(name, None)  # generated in BOT_VAR_DIR, as for a user
    return env


def require_default_ports(var_dir: Path, database_url: str, monkeypatch) -> None:
    for name in PORT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_VAR_DIR", str(var_dir))
    layout = production.layout_from_environment(bot_settings.load())
    try:
        production.check_ports_free(layout)
    except production.LayoutError as exc:
        pytest.fail(f"this test needs make run-prod's default ports: {exc}")


@pytest.fixture(scope="module")
def run_prod(model, tmp_path_factory):
    """One deployment for the module's tests (it starts two Rasa servers: a minute under load)."""
    require_redis()
    tmp_path = tmp_path_factory.mktemp("run-prod")
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    database_url, drop = fresh_database_url("postgresql", tmp_path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        require_default_ports(var_dir, database_url, monkeypatch)
        deployment = RunProd(user_environment(var_dir, database_url))
        try:
            deployment.wait_for("Ready on http://127.0.0.1:8080", timeout=600)
            yield deployment, var_dir, database_url
        finally:
            deployment.stop()
            drop()
        # stopped, it gives its ports back (the next `make run` takes 8000 and 5005); its servers
        # finish their graceful shutdown after it exits, so give them a moment (seen: `bot run`
        # right after found 8000 still held)
        ports_free_within(60)


def ports_free_within(seconds: float) -> None:
    layout = production.layout_from_environment(bot_settings.load())
    deadline = time.monotonic() + seconds
    while True:
        try:
            production.check_ports_free(layout)
            return
        except production.LayoutError as still_held:
            if time.monotonic() > deadline:
                pytest.fail(f"make run-prod stopped {seconds} s ago and still holds a port: {still_held}")
            time.sleep(0.5)
