"""`bot run-prod` itself, on its DEFAULT ports, survives what it exists for: under load through
nginx, one Rasa server then one action server are killed with SIGKILL; every message is answered
once, every dossier stored, the supervisor restarts both and /ready says 200 again. Then the web
app and nginx are killed (load over) and come back too.

Needs PostgreSQL, Redis and nginx (`make test` installs nginx). It uses make run-prod's default
ports (8080-8082, 5005-5006, 5055-5056, 8000): if another program holds one, it fails and names
it. No other test uses these ports (the others take free ephemeral ports), and tests run one
after the other. Prints the figures that docs/scaling.md reports.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from bot import paths
from bot import settings as bot_settings
from bot.ops import production
from bot.store import db
from tests.support.databases import fresh_database_url
from tests.support.processes import PORT_SETTINGS, assert_no_secret_in, command_lines, descendants
from tests.support.services import REDIS_URL, require_redis

PUBLIC = "http://127.0.0.1:8080"  # make run-prod's default public port
PUBLIC_TOKEN = "public-" + uuid.uuid4().hex
AUTHORIZED = {"Authorization": f"Bearer {PUBLIC_TOKEN}"}
SCRIPT = ["bonjour", "je voudrais que mes clients me trouvent sur internet", "oui", "non", "pas vraiment", "non merci", "merci"]
PEOPLE = 12  # concurrent conversations; each starts a new one until the two kills are over


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


def state(var_dir: Path) -> dict:
    return json.loads((var_dir / "prod" / "state.json").read_text())["processes"]


def wait_running_again(var_dir: Path, name: str, old_pid: int, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = state(var_dir)[name]
        if entry["pid"] != old_pid and entry["status"] == "running":
            return entry
        time.sleep(0.5)
    pytest.fail(f"{name} not running again after {timeout} s: {state(var_dir)[name]}")


def ready() -> tuple[int, dict]:
    response = requests.get(f"{PUBLIC}/ready", timeout=10)
    return response.status_code, response.json()


def ready_within(seconds: float) -> tuple[int, dict]:
    """/ready once it says 200, or its last answer after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            code, body = ready()
        except requests.RequestException as exc:
            code, body = 0, {"error": repr(exc)}
        if code == 200 or time.monotonic() > deadline:
            return code, body
        time.sleep(0.5)


def user_messages(database_url: str, sender: str) -> list[str]:
    with db.session(database_url) as session:
        rows = (
            session.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": sender}
            )
            .scalars()
            .all()
        )
    return [json.loads(data).get("text") or "" for data in rows]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def run_prod(model, tmp_path, monkeypatch):
    require_redis()
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    database_url, drop = fresh_database_url("postgresql", tmp_path)
    require_default_ports(var_dir, database_url, monkeypatch)
    deployment = RunProd(user_environment(var_dir, database_url))
    try:
        deployment.wait_for("Ready on http://127.0.0.1:8080", timeout=600)
        yield deployment, var_dir, database_url
    finally:
        if deployment.process.poll() is None:
            deployment.process.send_signal(signal.SIGTERM)
            try:
                deployment.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                deployment.process.kill()
        drop()
    # stopped, it gives its ports back (the next `make run` takes 8000 and 5005); its servers finish
    # their graceful shutdown after it exits, so give them a moment (seen: `bot run` right after
    # found 8000 still held)
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


def test_run_prod_on_its_defaults_survives_a_killed_rasa_server_and_action_server(run_prod):
    deployment, var_dir, database_url = run_prod
    code, body = ready()
    assert code == 200 and body == {"ready": True}, body  # the public port: the status, no details
    direct = requests.get("http://127.0.0.1:8000/ready", timeout=10)  # the web app itself, on loopback
    assert direct.json() == {
        "ready": True,
        "components": {"rasa": "ok", "actions": "ok", "database": "ok", "redis": "ok"},
    }, direct.text
    # served over HTTPS by a proxy in front unless PUBLIC_TLS=0: HSTS, secure cookies
    assert requests.get(f"{PUBLIC}/healthz", timeout=10).headers["Strict-Transport-Security"].startswith("max-age=")
    # no secret on any of its processes' command lines (ps shows them to every user of the machine)
    generated = [(var_dir / name.lower()).read_text().strip() for name in bot_settings.GENERATED_SECRETS]
    assert_no_secret_in(command_lines(descendants(deployment.process.pid)), [*generated, PUBLIC_TOKEN])

    answered: list[tuple[str, str, float]] = []
    errors: list[str] = []
    conversations: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def converse() -> None:
        while not stop.is_set():
            sender = "prod-" + uuid.uuid4().hex
            with lock:
                conversations.append(sender)
            for message in SCRIPT:  # a conversation started is finished, even after stop
                started = time.monotonic()
                try:
                    response = requests.post(
                        f"{PUBLIC}/webhooks/rest/webhook",
                        headers=AUTHORIZED,
                        json={"sender": sender, "message": message},
                        timeout=180,
                    )
                    if response.status_code != 200 or not response.json():
                        errors.append(f"{sender} {message!r}: HTTP {response.status_code} {response.text[:200]}")
                    else:
                        with lock:
                            answered.append((sender, message, time.monotonic() - started))
                except requests.RequestException as exc:
                    errors.append(f"{sender} {message!r}: {exc!r}")

    def wait_answered(count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while len(answered) < count and time.monotonic() < deadline and not errors:
            time.sleep(0.2)

    began = time.monotonic()
    workers = [threading.Thread(target=converse) for _ in range(PEOPLE)]
    for worker in workers:
        worker.start()
    figures = {}
    try:
        for victim in ("rasa-0", "actions-0"):
            wait_answered(len(answered) + 40)  # under load
            pid = state(var_dir)[victim]["pid"]
            killed_at = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            entry = wait_running_again(var_dir, victim, pid)
            figures[victim] = (time.monotonic() - killed_at, len(answered))
            assert not alive(pid) and alive(entry["pid"]), entry
        wait_answered(len(answered) + 40)  # the restarted ones serve again
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=600)
    duration = time.monotonic() - began

    access_log = (var_dir / "prod" / "nginx-access.log").read_text()
    retried = [line for line in access_log.splitlines() if "/webhooks/" in line and re.search(r"upstream=\S+, ", line)]
    logs = {log.stem: log.read_text(errors="replace") for log in (var_dir / "prod" / "logs").glob("*.log")}
    replayed = re.findall(r"(\w+) for message already run: replaying", "".join(logs.values()))
    from_tracker = sum(text.count("already processed: answered from the tracker") for text in logs.values())
    nginx_errors = logs["nginx"]  # nginx's error log, masked by the supervisor (production.nginx_command)
    refused = nginx_errors.count("Connection refused")
    cut = len(re.findall(r"prematurely closed|Connection reset", nginx_errors))
    latencies = sorted(seconds for _, _, seconds in answered)
    print(
        f"\nrun-prod under load: {len(answered) + len(errors)} messages in {len(conversations)} conversations, "
        f"{len(errors)} failed, {duration:.0f} s; "
        + "; ".join(f"{name} killed, running again after {seconds:.1f} s" for name, (seconds, _) in figures.items())
        + f"; {len(retried)} webhook requests retried on the other Rasa server (nginx: {refused} connections "
        f"refused, {cut} cut mid-request), {from_tracker} answered from the tracker, {len(replayed)} action calls "
        f"replayed {sorted(set(replayed))};"
        f" p50 {latencies[len(latencies) // 2]:.2f} s, max {latencies[-1]:.1f} s"
    )
    print("".join(line for line in deployment.lines if " died " in line or "answers again" in line or "restarted" in line))

    assert errors == [], errors[:10]
    assert len(answered) == len(conversations) * len(SCRIPT)
    with db.session(database_url) as session:
        stored = set(session.execute(text("SELECT conversation_id FROM dossiers")).scalars())
        needs = dict(
            session.execute(
                text(
                    "SELECT d.conversation_id, count(n.id) FROM dossiers d LEFT JOIN dossier_needs n ON n.dossier_id = d.id "
                    "GROUP BY d.conversation_id"
                )
            ).all()
        )
    assert set(conversations) <= stored  # every dossier
    for person in conversations:  # every message in its tracker, once: none lost, none processed twice
        assert user_messages(database_url, person) == SCRIPT, person
    # the same conversation gives the same dossier: an action run twice would add a need
    assert len({needs[person] for person in conversations}) == 1, needs

    code, body = ready()
    assert code == 200, body
    processes = state(var_dir)
    assert all(entry["status"] == "running" and alive(entry["pid"]) for entry in processes.values()), processes
    assert processes["rasa-0"]["restarts"] == 1 and processes["actions-0"]["restarts"] == 1

    # the web app and nginx too, load over (without nginx the public port is closed for a second):
    # their workers, orphaned by SIGKILL, must not keep the ports
    for victim in ("web", "nginx"):
        pid = state(var_dir)[victim]["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_running_again(var_dir, victim, pid, timeout=120)
    code, body = ready_within(30)  # nginx restarted: its listeners open a moment after its process
    assert code == 200, body
    assert requests.post(
        f"{PUBLIC}/webhooks/rest/webhook", json={"sender": "prod-after", "message": "bonjour"}, headers=AUTHORIZED, timeout=60
    ).json()
    assert "rasa-0 (pid" in deployment.output and "died (killed by SIGKILL)" in deployment.output

    deployment.process.send_signal(signal.SIGTERM)
    assert deployment.process.wait(timeout=60) == 0, deployment.output[-3000:]
    assert "Stopped." in deployment.output
