"""Rasa's own commands work on this project as README « Plain Rasa commands » says: `bot env`, then
`rasa run actions` and `rasa run` (issue 18). Our patches are in place there too: a payload typed
by hand that no button offered is read as plain text (bot/rasa_extensions/patches/typed_payloads.py)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import requests
import sqlalchemy

from bot import paths
from bot.ops.store_cli import prepare_database
from bot.ops.supervisor import free_port


def environment_from_bot_env(tmp_path: Path, action_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "BOT_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}",
        "ACTION_PORT": str(action_port),
        "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
        "RATE_LIMIT_CLIENT_PER_MINUTE": "0",
    }
    exported = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "env"], env=env, capture_output=True, text=True, check=True, cwd=paths.ROOT
    ).stdout
    for line in exported.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
    return env


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def test_rasa_run_and_rasa_run_actions_with_bot_env(tmp_path, model):
    action_port, rasa_port = free_port(), free_port()
    env = environment_from_bot_env(tmp_path, action_port)
    assert env["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{action_port}/webhook"
    prepare_database(SimpleNamespace(database_url=env["DATABASE_URL"], var_dir=tmp_path))  # what it reads of Settings
    rasa = Path(sys.executable).parent / "rasa"
    logs = [open(tmp_path / name, "w") for name in ("actions.log", "rasa.log")]
    servers = [
        subprocess.Popen(
            [str(rasa), "run", "actions", "--actions", "actions", "--port", str(action_port)],
            cwd=paths.ROOT,
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [
                str(rasa),
                "run",
                "--model",
                str(model),
                "--port",
                str(rasa_port),
                "--interface",
                "127.0.0.1",
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            cwd=paths.ROOT,
            env=env,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", 120)
        wait_for(f"http://127.0.0.1:{rasa_port}/", 240)

        def say(text: str) -> str:
            replies = requests.post(
                f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", json={"sender": "plain-rasa", "message": text}, timeout=60
            ).json()
            return "\n".join(r.get("text", "") for r in replies)

        assert "C'est bien cela" in say("je voudrais que mon salon de coiffure soit visible sur internet")
        assert "questions courtes" in say("oui c'est ca")
        # read as the button « Oui » by our patch: Rasa stored the typed answer's reading with the message
        with sqlalchemy.create_engine(env["TRACKER_URL"]).connect() as connection:
            stored = (
                connection.execute(
                    sqlalchemy.text("SELECT data FROM events WHERE sender_id = 'plain-rasa' AND type_name = 'user'")
                )
                .scalars()
                .all()
            )
        assert any(json.loads(data).get("parse_data", {}).get("typed_answer") for data in stored), stored
        # and the action server (rasa run actions) wrote the dossier
        with sqlalchemy.create_engine(env["DATABASE_URL"]).connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT count(*) FROM dossier_needs")).scalar() == 1
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(30)
        for log in logs:
            log.close()
