"""GET /ready says 503 and which component is down: the real web app, with no Rasa server and no
action server where it looks for them (free ports nobody listens on), a real database and Redis.
The 200 case is shown through make run-prod in tests/test_run_prod.py."""

from __future__ import annotations

import uuid

import requests

from bot import supervisor
from bot.settings import Settings
from bot.store import migrate
from bot.supervisor import free_port
from tests.test_scale import REDIS_URL, require_redis


def test_ready_is_503_naming_the_components_that_are_down(tmp_path):
    require_redis()
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(database_url)
    web_port = free_port()
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=web_port,
        rasa_token="t-" + uuid.uuid4().hex,
        conversation_secret="s-" + uuid.uuid4().hex,
        database_url=database_url,
        var_dir=tmp_path,
        allowed_origins=(),
        public_socket_url="",
        session_secret="c-" + uuid.uuid4().hex,
    )
    group = supervisor.ServerGroup(settings=settings, log_dir=tmp_path / "logs")
    group.start(
        "web",
        supervisor.web_server_command(settings),
        extra_env={"REDIS_URL": REDIS_URL, "ACTIONS_HEALTH_URL": f"http://127.0.0.1:{free_port()}/health"},
    )
    try:
        group.wait_until("web", supervisor.web_server_ready, 120)
        response = requests.get(f"{settings.web_url}/ready", timeout=30)
    finally:
        group.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["components"]["database"] == "ok" and body["components"]["redis"] == "ok"
    assert body["components"]["rasa"].startswith("down (") and body["components"]["actions"].startswith("down ("), body
