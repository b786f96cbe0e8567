"""The action server (rasa_sdk), which only Rasa may call.

Rasa's action endpoint sends the shared secret ACTION_SERVER_TOKEN as `?token=…`
(`token:` in endpoints.yml); any other call to /webhook or /actions gets a 401. The
health check stays open for the supervisor and the channels' back-end check.
Run as `python -m bot.rasa_extensions.action_server --actions actions --port 5055` (the rasa_sdk arguments).

Every action call runs in a worker thread, on that thread's event loop (`run_actions_in_threads`;
one loop per thread, made once, not one per call). Our
actions are plain functions (`def run`, `def validate_…`; rasa_sdk calls either kind through
`utils.call_potential_coroutine`): their database work is synchronous SQLAlchemy and the dossier
writes wait between retries. On rasa_sdk's one event loop, one slow database call would hold up
every other conversation's answer; in a worker thread it holds up only its own. A form's
`required_slots` stays a coroutine (FormValidationAction.run awaits it) and runs on that
thread's own loop.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import rasa_sdk
from rasa_sdk import endpoint
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response

from bot import log_redaction
from bot import settings as bot_settings

OPEN_PATHS = {"/health"}
ACTION_THREADS = 32  # actions running at once; each holds at most one database connection


def run_actions_in_threads(threads: int = ACTION_THREADS) -> None:
    """Run each action call (sync or async) in a worker thread, on that thread's own event loop
    (created with the thread and kept: `asyncio.run` per call made and closed a loop each time).

    Patches `ActionExecutor.run` (rasa_sdk 3.6; re-check on an upgrade that `run(self, action_call)`
    still awaits the action and returns the response dict, and that actions share no loop-bound
    state: ours don't).
    """
    if not rasa_sdk.__version__.startswith("3.6."):
        raise RuntimeError(f"run_actions_in_threads was written for rasa_sdk 3.6, not {rasa_sdk.__version__}")
    if getattr(ActionExecutor.run, "in_threads", False):
        return
    run_on_loop = ActionExecutor.run
    pool = ThreadPoolExecutor(threads, thread_name_prefix="action")
    local = threading.local()

    def run_in_this_thread(executor, action_call):
        if getattr(local, "loop", None) is None:
            local.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(local.loop)
        return local.loop.run_until_complete(run_on_loop(executor, action_call))

    async def run(self, action_call):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, run_in_this_thread, self, action_call)

    run.in_threads = True
    ActionExecutor.run = run


def require_token(app: Sanic, token: str) -> None:
    @app.middleware("request")
    async def check_token(request):
        if request.path in OPEN_PATHS or request.method == "OPTIONS":
            return None
        given = request.args.get("token") or request.headers.get("x-action-token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "This action server only answers the Rasa server (token required)."}, status=401)
        return None


def main() -> None:
    log_redaction.install()  # no secret link nor forged line in its log
    token = os.environ.get("ACTION_SERVER_TOKEN", "").strip()
    if not token:
        sys.exit("ACTION_SERVER_TOKEN is required (the secret the Rasa server shows): bot run and bot run-prod set it.")
    settings = bot_settings.current()
    bot_settings.require_strong_secrets(settings)  # ACTION_SERVER_TOKEN and the others, named when weak
    create_app = endpoint.create_app

    replay_redis_url = settings.action_replay_redis_url

    def create_app_with_token(*args, **kwargs):
        app = create_app(*args, **kwargs)
        require_token(app, token)
        if replay_redis_url:  # make run-prod: a retried message does not run an action twice
            from bot.rasa_extensions import action_replay

            action_replay.install(app, replay_redis_url)
        return app

    endpoint.create_app = create_app_with_token  # endpoint.run() builds its app through this name
    run_actions_in_threads()
    from rasa_sdk.__main__ import main as rasa_sdk_main

    rasa_sdk_main()


if __name__ == "__main__":
    main()
