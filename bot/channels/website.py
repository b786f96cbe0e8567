"""The website chat channel: Rasa's socket.io channel, made safe for a public page.

Differences from `rasa.core.channels.socketio.SocketIOInput` (Rasa 3.6), and why:
- conversation ids are issued by the server, random and signed (bot/web/conversation_ids.py);
  a client cannot pick, guess or reuse another person's id;
- the conversation of a socket is remembered server-side at `session_request`: a message never
  names its conversation, so it cannot be sent into someone else's;
- `enter_room` is awaited when it is a coroutine (python-socketio >= 5.10), the known trap where
  replies never arrive;
- every tab of one conversation shares a room: the assistant's replies, the person's own messages
  (`user_echo`) and a typing indicator reach all of them;
- messages are checked (type, blank, size) and bad ones get a polite French reply, not a crash;
- when the action server is down, or slow, the person is told so in French rather than left in silence;
- its output channel (also used by Rasa's HTTP API, hence by the live handover) sends a mediator's
  messages with who wrote them;
- over a rate limit (per conversation, per client address: bot/channels/limits.py) the message is
  not processed and the person is told when to send it again (event `rate_limited` carries the
  text back, so the widget can put it back in the input box);
- a typed `/intent{…}` is plain text unless a button offered it (bot/rasa_extensions/patches/typed_payloads.py);
- a conversation idle longer than CONVERSATION_IDLE_MINUTES is never resumed (a shared public
  computer: the next person must not read or continue it): a reconnect with its token gets a new
  conversation, and so does a message on a socket left open that long (`session_confirm` with the
  new token, then the message goes to the new conversation).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, response
from socketio import AsyncRedisManager, AsyncServer

from bot import clock, rasa_extensions, rate_limits
from bot import settings as bot_settings
from bot.channels import backend, replies
from bot.channels.limits import ChatLimits
from bot.store import conversations, db
from bot.web import conversation_ids

logger = logging.getLogger(__name__)

MAX_DISPLAY_CHARS = 200  # the title of a clicked button, shown instead of its payload
SLOW_AFTER_SECONDS = 8  # then say we are still working on it
NO_SESSION = "La connexion a été interrompue. Rechargez la page pour reprendre la conversation."


async def enter_room(sio: AsyncServer, sid: str, room: str) -> None:
    """`AsyncServer.enter_room` is a plain function before python-socketio 5.10, a coroutine after."""
    result = sio.enter_room(sid, room)
    if inspect.isawaitable(result):
        await result


class WebsiteOutput(SocketIOOutput):
    """Rasa's socket.io output, plus:
    - a message of the live part (a mediator's, or a change of its state) goes out as one event
      `{"text", "live": {…}}` rather than a text and a separate custom payload;
    - it counts what it sent, so a slow turn can be told apart from a silent one.
    """

    sent = 0

    @classmethod
    def name(cls) -> str:
        return "website"  # Rasa files events triggered through it under our channel's name

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("live"), dict):
            await self._send_message(recipient_id, {"text": message.get("text") or "", "live": custom["live"]})
            return
        await super().send_response(recipient_id, message)


def _idle_in_store(database_url: str, conversation_id: str, idle: timedelta, now: datetime) -> bool:
    with db.session(database_url) as session:
        return conversations.is_idle(session, conversation_id, idle, now)


async def is_idle(settings: bot_settings.Settings, conversation_id: str, now: datetime) -> bool:
    """Whether the conversation had no event for longer than CONVERSATION_IDLE_MINUTES. When the
    database cannot say, it counts as idle: better a new conversation than someone else's."""
    idle = timedelta(minutes=settings.conversation_idle_minutes)
    try:
        return await asyncio.to_thread(_idle_in_store, settings.database_url, conversation_id, idle, now)
    except Exception:
        logger.exception("could not read when %s was last active: a new conversation starts", conversation_id)
        return True


async def leave_room(sio: AsyncServer, sid: str, room: str) -> None:
    result = sio.leave_room(sid, room)
    if inspect.isawaitable(result):
        await result


class WebsiteChatInput(InputChannel):
    """Configured in credentials.yml as `bot.channels.website.WebsiteChatInput`."""

    @classmethod
    def name(cls) -> str:
        return "website"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )

    def __init__(self, user_message_evt: str, bot_message_evt: str, socketio_path: str) -> None:
        rasa_extensions.install()  # Rasa makes its channels before its tracker store and processor
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.socketio_path = socketio_path
        self.settings = bot_settings.current()
        self.sio: AsyncServer | None = None

    def get_output_channel(self) -> OutputChannel | None:
        return None if self.sio is None else WebsiteOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        secret = self.settings.conversation_secret
        # With several Rasa servers (make run-prod), a message for a conversation may be produced
        # on a server other than the one holding the person's socket (e.g. a mediator's message
        # through the HTTP API): a Redis message queue carries it across.
        redis_url = self.settings.socketio_redis_url
        sio = AsyncServer(
            client_manager=AsyncRedisManager(redis_url) if redis_url else None,
            async_mode="sanic",
            cors_allowed_origins=list(self.settings.allowed_origins),
            # large enough that a whole pasted e-mail (100 000 characters) gets our polite
            # « too long » reply rather than a closed connection
            max_http_buffer_size=2_000_000,
        )
        self.sio = sio
        webhook = SocketBlueprint(sio, self.socketio_path, "website_webhook", __name__)
        webhook.listener("after_server_stop")(backend.close_sessions)

        @webhook.route("/", methods=["GET"])
        async def health(_request):
            return response.json({"status": "ok"})

        async def say(room: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=room)

        limits = ChatLimits(self.settings)

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> bool:
            request = environ.get("sanic.request")  # engineio's REMOTE_ADDR is always 127.0.0.1
            peer = request.ip if request is not None else None
            headers = {"x-real-ip": environ.get("HTTP_X_REAL_IP", "")}
            client = rate_limits.client_key(rate_limits.client_address(peer, headers, self.settings.trusted_proxies), secret)
            await sio.save_session(sid, {"client": client})
            return True

        async def join(sid: str, token: str, conversation_id: str) -> None:
            """Put the socket in the conversation (leaving its previous one) and confirm it."""
            previous = (await sio.get_session(sid)).get("conversation_id")
            if previous and previous != conversation_id:  # erased, idle, or another tab moved on
                await leave_room(sio, sid, previous)
            await sio.save_session(sid, {**(await sio.get_session(sid)), "conversation_id": conversation_id})
            await enter_room(sio, sid, conversation_id)
            await sio.emit("session_confirm", token, room=sid)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            conversation_id = conversation_ids.conversation_of(secret, token)
            if conversation_id is not None and await is_idle(self.settings, conversation_id, clock.now()):
                conversation_id = None  # idle too long: not resumed (a shared computer)
            if conversation_id is None:  # first visit, erased, idle, or a token that is not ours
                token, conversation_id = conversation_ids.new_conversation(secret)
            await join(sid, token, conversation_id)

        async def still_current(sid: str, conversation_id: str) -> str:
            """The socket's conversation, or a new one when it went idle while the socket stayed
            open (one indexed query per message; Rasa reads the whole tracker anyway)."""
            if await is_idle(self.settings, conversation_id, clock.now()):
                token, conversation_id = conversation_ids.new_conversation(secret)
                await join(sid, token, conversation_id)
            return conversation_id

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid)
            conversation_id, client = session.get("conversation_id"), session.get("client")
            if conversation_id is None:
                await say(sid, NO_SESSION)
                return
            conversation_id = await still_current(sid, conversation_id)
            over = await limits.wait_before(conversation_id, client)
            if over is not None:
                message = data.get("message") if isinstance(data, dict) else None
                await sio.emit(
                    "rate_limited",
                    {
                        "text": replies.too_fast(*over),
                        "message": message if isinstance(message, str) else "",
                        "retry_after": round(over[1], 1),
                    },
                    room=sid,
                )
                return
            text, polite = replies.check_text(data.get("message") if isinstance(data, dict) else None)
            if text is None:
                await say(sid, polite)
                return
            display = data.get("display")
            display = display.strip()[:MAX_DISPLAY_CHARS] if isinstance(display, str) and text.startswith("/") else ""
            if await backend.is_down():
                await say(sid, replies.trouble())
                return
            await sio.emit("user_echo", {"text": display or text}, room=conversation_id, skip_sid=sid)
            await sio.emit("typing", {"on": True}, room=conversation_id)
            output = WebsiteOutput(sio, self.bot_message_evt)

            async def reassure_if_slow() -> None:
                await asyncio.sleep(SLOW_AFTER_SECONDS)
                if not output.sent:
                    await say(conversation_id, replies.STILL_WORKING)

            reassurance = asyncio.create_task(reassure_if_slow())
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        output,
                        conversation_id,
                        input_channel=self.name(),
                        metadata={k: v for k, v in (("display", display), (rate_limits.CLIENT_METADATA_KEY, client)) if v}
                        or None,
                    )
                )
            except Exception:  # e.g. the tracker store's database is away: say so, never silence
                logger.exception("message of %s not processed", conversation_id)
                await say(conversation_id, replies.trouble())
            finally:
                reassurance.cancel()
                await sio.emit("typing", {"on": False}, room=conversation_id)

        return webhook
