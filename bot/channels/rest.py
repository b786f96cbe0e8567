"""Rasa's REST channel (`/webhooks/rest/webhook`), checking its input and never answering silence.

Used by the tests, `make shell`-like tools and the load generator. Differences from Rasa's
`RestInput`: a body that is not `{"sender": text, "message": text}` gets a 400 with the reason;
a blank or over-long message gets the same polite reply as the website; when the action server
is down the message is not processed and the person gets an honest French message.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels import action_validation_fix, replies, tracker_store_fix

MAX_SENDER_CHARS = 255
logger = logging.getLogger(__name__)
tracker_store_fix.install()
action_validation_fix.install()


def _bad_request(reason: str):
    return response.json({"error": reason}, status=400)


class CheckedRestInput(RestInput):
    """Configured in credentials.yml as `bot.channels.rest.CheckedRestInput` (still named "rest")."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("checked_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            try:
                body = request.json
            except Exception:  # Sanic raises its own error type for a body that is not JSON
                return _bad_request("Le corps de la requête doit être du JSON.")
            if not isinstance(body, dict):
                return _bad_request("Le corps doit être un objet JSON {\"sender\": …, \"message\": …}.")
            sender, message = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return _bad_request(f"« sender » doit être un texte de 1 à {MAX_SENDER_CHARS} caractères.")
            if message is not None and not isinstance(message, str):
                return _bad_request("« message » doit être un texte.")
            metadata = body.get("metadata")
            if metadata is not None and not isinstance(metadata, dict):
                return _bad_request("« metadata » doit être un objet JSON.")
            text, polite = replies.check_text(message)
            if text is None:
                return response.json([{"recipient_id": sender, "text": polite}])
            if await replies.backend_is_down():
                return response.json([{"recipient_id": sender, "text": replies.trouble()}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            except Exception:  # e.g. the tracker store's database is away: say so, never a 500
                logger.exception("message of %s not processed", sender)
                return response.json([{"recipient_id": sender, "text": replies.trouble()}])
            return response.json(collector.messages)

        return webhook
