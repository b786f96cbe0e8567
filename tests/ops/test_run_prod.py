"""`bot run-prod` itself, on its DEFAULT ports, survives what it exists for: under load through
nginx, one Rasa server then one action server are killed with SIGKILL; every message is answered
once, every dossier stored, the supervisor restarts both and /ready says 200 again. Then the web
app and nginx are killed (load over) and come back too. Before that, on the same deployment: each
secret link visited through nginx's public port and directly (one of them making nginx write an
error line), and no secret found in any file of its logs.

Needs PostgreSQL, Redis and nginx (`make test` installs nginx). It uses make run-prod's default
ports (8080-8082, 5005-5006, 5055-5056, 8000): if another program holds one, it fails and names
it. No other test uses these ports (the others take free ephemeral ports), and tests run one
after the other. Prints the figures that docs/scaling.md reports.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from bot import settings as bot_settings
from bot.store import db
from tests.support.processes import assert_no_secret_in, command_lines, descendants
from tests.support.run_prod import (
    AUTHORIZED,
    LOAD_SCRIPT,
    PUBLIC,
    PUBLIC_TOKEN,
    run_prod,  # noqa: F401 (the fixture)
)

SCRIPT = LOAD_SCRIPT
PEOPLE = 12  # concurrent conversations; each starts a new one until the two kills are over


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


# --- no secret link in any log (bot/log_redaction.py; its fast checks: test_secret_urls_in_logs.py) ---

WEB = "http://127.0.0.1:8000"  # the web app, directly (make run-prod's default WEB_PORT)


def visit_secret_links(base: str, token: str) -> None:
    """Each link that carries a secret, as a person or a mediator would follow it (the token need not
    be valid: the path is logged either way)."""
    for method, path in [
        ("GET", f"/mediateurs/mot-de-passe/{token}"),
        ("POST", f"/mediateurs/mot-de-passe/{token}"),
        ("GET", f"/rendez-vous/{token}"),
        ("POST", f"/rendez-vous/{token}/annuler"),
        ("POST", f"/rendez-vous/{token}/deplacer"),
        ("GET", f"/calendrier/{token}.ics?token={token}"),
    ]:
        requests.request(method, base + path, timeout=30, allow_redirects=False)


def test_no_secret_of_a_visited_link_in_any_log_of_run_prod(run_prod):
    deployment, var_dir, _ = run_prod
    through_nginx, direct = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    visit_secret_links(PUBLIC, through_nginx)
    visit_secret_links(WEB, direct)
    rasa_token = (var_dir / "rasa_token").read_text().strip()
    for url in ("http://127.0.0.1:5005/status", "http://127.0.0.1:8081/status"):  # Rasa's HTTP API takes ?token=
        assert requests.get(url, params={"token": rasa_token}, timeout=30).status_code == 200
    requests.get("http://127.0.0.1:5055/health", params={"token": direct}, timeout=30)
    # an error line of nginx's, which names the request: a body over client_max_body_size (413)
    too_large = requests.post(f"{PUBLIC}/rendez-vous/{through_nginx}/annuler", data=b"x" * (3 * 1024 * 1024), timeout=30)
    assert too_large.status_code == 413
    time.sleep(2)  # the supervisors copy each line as soon as it is whole

    logs = {path: path.read_text(errors="replace") for path in (var_dir / "prod").rglob("*.log*") if path.is_file()}
    names = {path.name for path in logs}
    assert {"nginx-access.log", "nginx.log", "web.log", "rasa-0.log", "actions-0.log"} <= names, sorted(logs)
    for path, written in logs.items():
        for secret in (through_nginx, direct, rasa_token):
            assert secret not in written, f"{path}: {[line for line in written.splitlines() if secret in line][:3]}"
    # the visits were logged, masked
    nginx = logs[var_dir / "prod" / "nginx-access.log"]
    for logged in ("/mediateurs/mot-de-passe/***", "/rendez-vous/*** ", "/rendez-vous/***/annuler", "/calendrier/***"):
        assert logged in nginx, logged
    nginx_errors = logs[var_dir / "prod" / "logs" / "nginx.log"]  # nginx's error log, through the masking writer
    assert 'request: "POST /rendez-vous/***/annuler HTTP/1.1"' in nginx_errors, nginx_errors[-3000:]
    web = logs[var_dir / "prod" / "logs" / "web.log"]
    for logged in ("/mediateurs/mot-de-passe/*** ", "/rendez-vous/***/deplacer", "/calendrier/***?token=*** "):
        assert web.count(logged) >= 1, (logged, web[-3000:])


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
