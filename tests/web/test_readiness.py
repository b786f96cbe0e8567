"""GET /ready says 503 and which component is down: the real web app in-process, with no Rasa
server and no action server where it looks for them (free ports nobody listens on), a real
database (SQLite and PostgreSQL) and Redis. The 200 case is shown through make run-prod in
tests/ops/test_run_prod.py."""

from __future__ import annotations

import dataclasses

from bot.ops.supervisor import free_port
from tests.support.services import REDIS_URL, require_redis
from tests.support.web_client import web_app


def test_ready_is_503_naming_the_components_that_are_down(web):
    require_redis()
    settings = dataclasses.replace(web.settings, redis_url=REDIS_URL, actions_health_url=f"http://127.0.0.1:{free_port()}/health")
    response = web_app(settings).client.get("/ready")
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["ready"] is False
    assert body["components"]["database"] == "ok" and body["components"]["redis"] == "ok"
    assert body["components"]["rasa"].startswith("down (") and body["components"]["actions"].startswith("down ("), body
