"""Rasa's REST channel (`/webhooks/rest/webhook`), checking its input and never answering silence.

Used by the tests, `make shell`-like tools and the load generator. Differences from Rasa's
`RestInput`: a body that is not `{"sender": text, "message": text}` gets a 400 with the reason;
a blank or over-long message gets the same polite reply as the website; when the action server
is down the message is not processed and the person gets an honest French message.

Behind nginx (make run-prod), a message whose server died is sent again to another server with
the same X-Request-ID: it becomes the message id, and a message already in the tracker is
answered from the tracker instead of being processed a second time (see bot/rasa_extensions/action_replay.py
for a turn cut short before it was saved).

Public use: over a rate limit (per conversation, per client address: bot/channels/limits.py) the
answer is HTTP 429 with a French reason and `Retry-After`, and the message is not processed.
A request that came through nginx's public port (make run-prod) is refused unless
PUBLIC_REST_WEBHOOK_TOKEN is set, and then it must carry it (`Authorization: Bearer …`); the
website uses socket.io with signed conversation ids instead. Any `client` key a caller puts in
`metadata` is replaced by the address the limits apply to.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request

from bot import log_redaction, rasa_extensions, rate_limits
from bot import settings as bot_settings
from bot.channels import backend, replies
from bot.channels.limits import ChatLimits

MAX_SENDER_CHARS = 255
REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{16,64}$")  # nginx's $request_id: 32 hexadecimal digits
logger = logging.getLogger(__name__)


def public_refusal(peer: str | None, headers, settings: bot_settings.Settings) -> tuple[int, str] | None:
    """A request that came through nginx's public port: (404, why) unless the public webhook is
    enabled (PUBLIC_REST_WEBHOOK_TOKEN), then (401, why) without that token; None = go on."""
    if not rate_limits.came_through_proxy(peer, headers, settings.trusted_proxies):
        return None
    token = settings.public_rest_token
    if not token:
        return 404, "Adresse inconnue. Le chat du site passe par sa fenêtre de discussion."
    given = headers.get("authorization") or headers.get("Authorization") or ""
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return 401, "Jeton manquant ou invalide (en-tête « Authorization: Bearer … »)."
    return None


def _bad_request(reason: str):
    return response.json({"error": reason}, status=400)


def _request_id(request: Request) -> str | None:
    value = request.headers.get("x-request-id", "")
    return value if REQUEST_ID.fullmatch(value) else None  # match() would let a final line feed through


async def _answered_before(request: Request, sender: str, message_id: str) -> list[dict] | None:
    """The answers already given to this message (found in the tracker), or None if it is new."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender)
    events = list(tracker.events) if tracker is not None else []
    start = next((i for i, e in enumerate(events) if isinstance(e, UserUttered) and e.message_id == message_id), None)
    if start is None:
        return None
    answers = []
    for event in events[start + 1 :]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            answers.append({"recipient_id": sender, "text": event.text, **{k: v for k, v in (event.data or {}).items() if v}})
    return answers


class CheckedRestInput(RestInput):
    """Configured in credentials.yml as `bot.channels.rest.CheckedRestInput` (still named "rest")."""

    def __init__(self) -> None:
        rasa_extensions.install()  # Rasa makes its channels before its tracker store and processor
        self.settings = bot_settings.current()
        self.limits: ChatLimits | None = None  # made on the server's event loop

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("checked_rest_webhook", __name__)
        webhook.listener("after_server_stop")(backend.close_sessions)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            refused = public_refusal(request.ip, request.headers, self.settings)
            if refused is not None:
                return response.json({"error": refused[1]}, status=refused[0])
            try:
                body = request.json
            except Exception:  # Sanic raises its own error type for a body that is not JSON
                return _bad_request("Le corps de la requête doit être du JSON.")
            if not isinstance(body, dict):
                return _bad_request('Le corps doit être un objet JSON {"sender": …, "message": …}.')
            sender, message = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return _bad_request(f"« sender » doit être un texte de 1 à {MAX_SENDER_CHARS} caractères.")
            if message is not None and not isinstance(message, str):
                return _bad_request("« message » doit être un texte.")
            metadata = body.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                return _bad_request("« metadata » doit être un objet JSON.")
            client = rate_limits.client_key(
                rate_limits.client_address(request.ip, request.headers, self.settings.trusted_proxies),
                self.settings.conversation_secret,
            )
            if self.limits is None:
                self.limits = ChatLimits(self.settings)
            over = await self.limits.wait_before(sender, client)
            if over is not None:
                which, wait = over
                return response.json(
                    {"error": replies.too_fast(which, wait)}, status=429, headers={"Retry-After": str(max(1, round(wait + 0.5)))}
                )
            metadata = {k: v for k, v in (metadata or {}).items() if k != rate_limits.CLIENT_METADATA_KEY}
            if client is not None:
                metadata[rate_limits.CLIENT_METADATA_KEY] = client
            metadata = metadata or None
            text, polite = replies.check_text(message)
            if text is None:
                return response.json([{"recipient_id": sender, "text": polite}])
            if await backend.is_down():
                return response.json([{"recipient_id": sender, "text": replies.trouble()}])
            message_id = _request_id(request)
            if message_id is not None:
                try:
                    earlier = await _answered_before(request, sender, message_id)
                except Exception:  # the tracker store is away: processing will say so
                    earlier = None
                if earlier is not None:
                    logger.warning(
                        "message %s of %s already processed: answered from the tracker",
                        message_id,
                        log_redaction.escape_for_log(sender),
                    )
                    return response.json(earlier)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), message_id=message_id, metadata=metadata)
                )
            except Exception:  # e.g. the tracker store's database is away: say so, never a 500
                logger.exception("message of %s not processed", log_redaction.escape_for_log(sender))
                return response.json([{"recipient_id": sender, "text": replies.trouble()}])
            return response.json(collector.messages)

        return webhook
