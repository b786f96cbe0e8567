"""The web app's way into a conversation held by Rasa: its HTTP API (`--enable-api`, token auth).

Used by the live handover: a mediator's messages are appended to the conversation as bot events
(so they are in the transcript, in order) and sent to the person's open chat windows by Rasa's
own output channel; pausing and resuming the assistant are Rasa events too.
"""

from __future__ import annotations

from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=15)
# Idle connections let go before the Rasa server's keep-alive (Sanic's 5 s) closes them: a kept
# connection reused just as the server closes it fails the call (aiohttp keeps them 15 s).
CLIENT_KEEPALIVE_SECONDS = 2.0


class RasaUnavailable(RuntimeError):
    """Rasa did not take the request (down, or refused it)."""


class RasaClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, path: str, body: Any, **params: str) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=TIMEOUT, connector=aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_SECONDS)
            )
        try:
            async with self._session.post(f"{self.base_url}{path}", json=body, params={"token": self.token, **params}) as answer:
                if answer.status != 200:
                    raise RasaUnavailable(f"{path}: HTTP {answer.status} {(await answer.text())[:200]}")
                return await answer.json()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise RasaUnavailable(f"{path}: {exc}") from exc

    async def append(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Add events to the conversation; bot messages among them reach the person's chat."""
        await self._post(
            f"/conversations/{conversation_id}/tracker/events", events, output_channel="latest", execute_side_effects="true"
        )

    async def trigger(self, conversation_id: str, intent: str) -> None:
        """Make the assistant act as if the person had expressed `intent` (EXTERNAL_… intents)."""
        await self._post(f"/conversations/{conversation_id}/trigger_intent", {"name": intent}, output_channel="latest")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def bot_event(text: str, live: dict[str, Any]) -> dict[str, Any]:
    """A message of the live part: `live` says who speaks (mediator + first name) or the new state."""
    return {"event": "bot", "text": text, "data": {"custom": {"live": live}}}


RESUME = {"event": "resume"}
# Rasa's policies expect every user turn after action_listen; a paused conversation had none
LISTEN = {"event": "action", "name": "action_listen"}
