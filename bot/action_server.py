"""The action server (rasa_sdk), which only Rasa may call.

Rasa's action endpoint sends the shared secret ACTION_SERVER_TOKEN as `?token=…`
(`token:` in endpoints.yml); any other call to /webhook or /actions gets a 401. The
health check stays open for the supervisor and the channels' back-end check.
Run as `python -m bot.action_server --actions actions --port 5055` (the rasa_sdk arguments).
"""
from __future__ import annotations

import hmac
import os
import sys

from rasa_sdk import endpoint
from sanic import Sanic, response

OPEN_PATHS = {"/health"}


def require_token(app: Sanic, token: str) -> None:
    @app.middleware("request")
    async def check_token(request):
        if request.path in OPEN_PATHS or request.method == "OPTIONS":
            return None
        given = request.args.get("token") or request.headers.get("x-action-token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "This action server only answers the Rasa server (token required)."},
                                 status=401)
        return None


def main() -> None:
    token = os.environ.get("ACTION_SERVER_TOKEN", "").strip()
    if len(token) < 16:
        sys.exit("ACTION_SERVER_TOKEN (16 characters or more) is required: bot run and bot run-prod set it.")
    create_app = endpoint.create_app

    def create_app_with_token(*args, **kwargs):
        app = create_app(*args, **kwargs)
        require_token(app, token)
        return app

    endpoint.create_app = create_app_with_token  # endpoint.run() builds its app through this name
    from rasa_sdk.__main__ import main as rasa_sdk_main

    rasa_sdk_main()


if __name__ == "__main__":
    main()
