"""Redis, where the scale-out and rate-limit tests find it (REDIS_URL); skipped with how to start it
when it does not answer (REQUIRE_REDIS=1 fails instead)."""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception:
        message = (
            f"needs Redis at {REDIS_URL}; start it with: redis-server --daemonize yes --bind 127.0.0.1 "
            "--port 6379 --save '' --appendonly no (or set REDIS_URL)"
        )
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
