"""GET /ready: can the deployment answer a person now? For a load balancer or an orchestrator.

Ready means: a Rasa server answers with its model loaded (through nginx's load balancer in
make run-prod, so any one of them will do), an action server answers, the database answers, and
Redis answers when the deployment uses it (REDIS_URL, set by make run-prod). The code is 200 when
all are ok, else 503.

The body says each component's status (`down (OperationalError)`…) to whoever reaches the web app
directly: the machine itself, an orchestrator inside the private network. Through nginx's public
port (which sets PUBLIC_REQUEST_HEADER on every request it passes to the web app, replacing any
the client sent) it says `{"ready": …}` only: what is down, and how, is no business of the public.
A header rather than the client's address: behind nginx the address is nginx's (loopback, or a
private address in compose, like the orchestrator's), or the client's once uvicorn reads
X-Forwarded-For; only nginx's public server knows a request came from outside.
"""

from __future__ import annotations

import asyncio

import aiohttp
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot import settings as bot_settings
from bot.web.handlers import settings_of

TIMEOUT_SECONDS = 3.0
PUBLIC_REQUEST_HEADER = "X-Mediation-Public"  # bot/ops/production.py sets it in nginx's public server


async def _get_json(url: str, params: dict | None = None) -> tuple[int, dict]:
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        async with client.get(url, params=params) as response:
            body = await response.json(content_type=None) if response.status == 200 else {}
            return response.status, body if isinstance(body, dict) else {}


async def _rasa(settings: bot_settings.Settings) -> str:
    status, body = await _get_json(f"{settings.rasa_api_base}/status", {"token": settings.rasa_token})
    if status != 200:
        return f"HTTP {status}"
    return "ok" if body.get("model_file") else "no model loaded"


async def _actions(settings: bot_settings.Settings) -> str:
    url = settings.actions_health_url or f"http://{settings.bind_host}:{settings.action_port}/health"
    status, _ = await _get_json(url)
    return "ok" if status == 200 else f"HTTP {status}"


def _database(settings: bot_settings.Settings) -> str:
    from sqlalchemy import text

    from bot.store import db

    with db.engine_for(settings.database_url).connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


def _redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        return "ok" if client.ping() else "no answer"
    finally:
        client.close()


async def _status(check) -> str:
    try:
        return await asyncio.wait_for(check, TIMEOUT_SECONDS + 1)
    except asyncio.TimeoutError:
        return "no answer"
    except Exception as exc:  # the component is down: say how, never a 500
        return f"down ({exc.__class__.__name__})"


async def ready(request: Request) -> JSONResponse:
    settings = settings_of(request)
    checks = {
        "rasa": _rasa(settings),
        "actions": _actions(settings),
        "database": run_in_threadpool(_database, settings),
    }
    redis_url = settings.redis_url
    if redis_url:
        checks["redis"] = run_in_threadpool(_redis, redis_url)
    results = await asyncio.gather(*(_status(check) for check in checks.values()))
    components = dict(zip(checks, results, strict=False))
    ready_now = all(status == "ok" for status in components.values())
    public = request.headers.get(PUBLIC_REQUEST_HEADER) is not None
    return JSONResponse(
        {"ready": ready_now} if public else {"ready": ready_now, "components": components},
        status_code=200 if ready_now else 503,
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/ready", ready)]
