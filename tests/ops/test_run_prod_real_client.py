"""`bot run-prod` on its default ports, behind a TLS proxy (simulated: requests from loopback with
X-Forwarded-For, as Caddy or nginx in front send them), with its default limits: one client that
starts conversation after conversation with fresh senders is refused (429) after the limit of new
conversations per address, while another client is served at once. Before, every client behind the
proxy was nginx's exempt loopback and the limits per address never applied.

Needs PostgreSQL, Redis and nginx; runs under `flock /tmp/default-ports.lock` with the other
modules of DEFAULT_PORT_MODULES (tests/conftest.py).
"""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support.databases import fresh_database_url
from tests.support.run_prod import AUTHORIZED, PUBLIC, RunProd, ports_free_within, require_default_ports, user_environment
from tests.support.services import require_redis


@pytest.fixture
def deployment(model, tmp_path, monkeypatch):
    require_redis()
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    database_url, drop = fresh_database_url("postgresql", tmp_path)
    require_default_ports(var_dir, database_url, monkeypatch)
    env = user_environment(var_dir, database_url)
    for name in [n for n in env if n.startswith("RATE_LIMIT_")]:
        del env[name]  # the default limits, as a user has them
    env.pop("TRUSTED_PROXIES", None)  # the default: a TLS proxy on this machine
    running = RunProd(env)
    try:
        running.wait_for("Ready on http://127.0.0.1:8080", timeout=600)
        yield running
    finally:
        running.stop()
        drop()
    ports_free_within(60)


def post(forwarded: str | None, sender: str) -> requests.Response:
    headers = {**AUTHORIZED, **({"X-Forwarded-For": forwarded} if forwarded else {})}
    return requests.post(
        f"{PUBLIC}/webhooks/rest/webhook", headers=headers, json={"sender": sender, "message": "bonjour"}, timeout=120
    )


def test_behind_a_tls_proxy_fresh_conversations_of_one_client_are_refused_and_another_client_is_served(deployment):
    answers = [post("203.0.113.7", "fresh-" + uuid.uuid4().hex) for _ in range(80)]
    codes = [a.status_code for a in answers]
    assert set(codes) == {200, 429} and codes[0] == 200, codes
    first = next(a for a in answers if a.status_code == 429)
    # the app's limit of new conversations per address (30 an hour by default), in French, with a way to a person
    assert codes.index(429) == 30 and "Beaucoup de conversations ont déjà commencé" in first.json()["error"], first.text
    assert int(first.headers["Retry-After"]) > 60
    other = post("203.0.113.8", "fresh-" + uuid.uuid4().hex)
    assert other.status_code == 200 and other.json(), other.text
    # a tool on this machine (loopback, nothing forwarded) is no client: not limited per address
    assert all(post(None, "tool-" + uuid.uuid4().hex).status_code == 200 for _ in range(3))
    print(f"\n203.0.113.7: {codes.count(200)} answered, {codes.count(429)} refused; 203.0.113.8 answered")
