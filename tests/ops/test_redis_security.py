"""Redis as deployed (make run-prod, deploy/): it requires a password, every client of ours gives it,
and nothing read from its queues is unpickled.

Each test starts its own throwaway `redis-server --requirepass` on a free port (without the
`redis-server` program these tests say how to get it, and fail instead under .ci/run).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pickle
import shutil
import subprocess
import time
import uuid

import pytest
import redis

from bot import paths
from bot.ops import production
from bot.ops.supervisor import free_port
from tests.support.servers import settings_for_tests

PASSWORD = "s3cret-" + uuid.uuid4().hex


@pytest.fixture
def protected_redis(tmp_path):
    """A Redis that refuses every command before AUTH: (url without password, url with it)."""
    if shutil.which("redis-server") is None:
        message = "needs redis-server (apt-get install redis-server)"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--requirepass", PASSWORD]
        + ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port, password=PASSWORD, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_prod_environment(redis_url: str, tmp_path) -> dict[str, str]:
    """The environment make run-prod gives its Rasa servers for this REDIS_URL."""
    settings = settings_for_tests(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)
    layout = dataclasses.replace(production.layout_from_environment(settings), redis_url=redis_url)
    return production.rasa_environment(layout)


def lock_store_from_prod_endpoints(redis_url: str, tmp_path, monkeypatch):
    """The lock store Rasa builds from deploy/endpoints.prod.yml in that environment."""
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import read_endpoint_config

    for name, value in run_prod_environment(redis_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    for name in ("TRACKER_DIALECT", "TRACKER_URL"):
        monkeypatch.setenv(name, "unused")
    return LockStore.create(read_endpoint_config(str(paths.ROOT / "deploy" / "endpoints.prod.yml"), "lock_store"))


def test_the_lock_store_of_run_prod_authenticates_with_the_password_of_redis_url(protected_redis, tmp_path, monkeypatch):
    from rasa.core.lock_store import LockError

    without, with_password = protected_redis
    store = lock_store_from_prod_endpoints(with_password, tmp_path, monkeypatch)
    assert store.issue_ticket("conversation-1") == 0
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(without).ping()  # the server really wants it
    with pytest.raises(LockError):
        lock_store_from_prod_endpoints(without, tmp_path, monkeypatch).issue_ticket("conversation-2")


def test_a_password_with_url_escapes_reaches_the_lock_store_unescaped(tmp_path):
    environment = run_prod_environment("redis://:p%40ss%2Fword@cache.internal:6380/2", tmp_path)
    assert {k: environment[k] for k in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD")} == {
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_PASSWORD": "p@ss/word",
    }
    assert run_prod_environment("redis://127.0.0.1:6379/0", tmp_path)["REDIS_PASSWORD"] == ""


def test_the_rate_limits_count_in_a_redis_that_wants_a_password(protected_redis):
    """Our own clients read the password from the URL (redis-py's from_url), in both flavours."""
    from bot import rate_limits

    _, with_password = protected_redis
    rule = rate_limits.Limit(limit=5, window=60)
    key = "test-" + uuid.uuid4().hex
    now = time.time()
    assert rate_limits.Windows(with_password).hit(key, rule, now) == 0
    assert asyncio.run(rate_limits.AsyncWindows(with_password).hit(key, rule, now)) == 0
    stored = redis.Redis.from_url(with_password).zcard(rate_limits.KEY_PREFIX + key)
    assert stored == 2  # counted in Redis, not in this process's memory


def test_the_socket_io_queue_never_unpickles_what_it_reads(protected_redis, tmp_path):
    """CVE-2025-61765: python-socketio < 5.14 unpickled a message of its Redis queue, so whoever
    could write to Redis ran code in every Rasa server. Now a pickle is ignored, JSON still works."""
    from socketio import AsyncRedisManager, AsyncServer

    _, with_password = protected_redis
    planted = tmp_path / "planted"

    class Planted:
        def __reduce__(self):
            return (open, (str(planted), "w"))

    channel = "socketio-" + uuid.uuid4().hex
    handled: list[dict] = []

    async def scenario() -> None:
        manager = AsyncRedisManager(with_password, channel=channel)
        AsyncServer(client_manager=manager, async_mode="asgi")

        async def record(message):
            handled.append(message)

        manager._handle_emit = record
        manager.initialize()
        publisher = redis.Redis.from_url(with_password)
        deadline = time.monotonic() + 10
        while publisher.pubsub_numsub(channel)[0][1] < 1:
            assert time.monotonic() < deadline, "the socket.io manager never subscribed"
            await asyncio.sleep(0.05)
        publisher.publish(channel, pickle.dumps(Planted()))
        publisher.publish(channel, b'{"method": "emit", "event": "bot_uttered", "data": {}, "host_id": "another"}')
        while not handled and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        manager.thread.cancel()

    asyncio.run(scenario())
    assert not planted.exists(), "a pickled message from Redis was unpickled (code ran)"
    assert [m["event"] for m in handled] == ["bot_uttered"]
