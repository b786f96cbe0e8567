"""An action is run once per message, even when the message is retried (make run-prod).

When a Rasa server dies in the middle of a turn, nginx sends the same POST to another server,
with the same X-Request-ID, which the REST channel takes as the message id. The tracker that
server loads does not hold the dead server's turn (a turn is saved at its end), so the other
server predicts the same actions again. Each action's answer is therefore kept in Redis (one
hour) under (conversation, message id, action, events so far): the same call again gets the same
answer, and the action's side effects (a need in the dossier, an e-mail) are not repeated.
The same holds when an action server dies with a call in hand and nginx sends it to another.

Used only when ACTION_REPLAY_REDIS_URL is set (make run-prod); without Redis, actions run as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import zlib

from sanic import Sanic, response

KEEP_SECONDS = 3600
PREFIX = "mediation:action-replay:"
logger = logging.getLogger(__name__)


def replay_key(call: dict) -> str | None:
    """The key of one action call of one message; None when the message has no id."""
    tracker = call.get("tracker") or {}
    events = tracker.get("events") or []
    message_id = next((e.get("message_id") for e in reversed(events) if e.get("event") == "user"), None)
    if not message_id:
        return None
    identity = [call.get("sender_id") or tracker.get("sender_id"), message_id, call.get("next_action"), len(events)]
    return PREFIX + hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _action_call(request) -> dict | None:
    try:
        body = request.body
        if request.headers.get("content-encoding") == "deflate":  # Rasa may compress the call
            body = zlib.decompress(body)
        call = json.loads(body)
    except (ValueError, zlib.error):
        return None
    return call if isinstance(call, dict) else None


def install(app: Sanic, redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    @app.middleware("request")
    async def replay(request):
        request.ctx.replay_key = None
        if request.method != "POST" or request.path != "/webhook":
            return None
        call = _action_call(request)
        key = replay_key(call) if call else None
        if key is None:
            return None
        try:
            kept = await asyncio.to_thread(client.get, key)
        except redis.RedisError as exc:  # never fail an action because of the replay store
            logger.warning("action replay store unavailable (%s): running the action", exc)
            return None
        if kept is not None:
            logger.warning("%s for message already run: replaying its answer", call.get("next_action"))
            return response.raw(kept, content_type="application/json", headers={"X-Action-Replayed": "1"})
        request.ctx.replay_key = key
        return None

    @app.middleware("response")
    async def remember(request, answer):
        key = getattr(request.ctx, "replay_key", None)
        if key is None or answer.status != 200 or not answer.body:
            return
        try:
            await asyncio.to_thread(client.set, key, answer.body, ex=KEEP_SECONDS)
        except redis.RedisError as exc:
            logger.warning("action replay store unavailable (%s): answer not kept", exc)
