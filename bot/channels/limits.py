"""The limits a message must pass before Rasa handles it, in both channels (website socket.io and
REST): messages per conversation and per client address a minute, distinct conversations per
address an hour. Counted in the windows of bot/rate_limits.py (Redis across the Rasa servers when
configured, this process's memory otherwise); over a limit the channel says
replies.too_fast(which, wait).
"""

from __future__ import annotations

from typing import Callable

from bot import clock as real_clock
from bot import settings as bot_settings
from bot.rate_limits import AsyncWindows, Limit


class ChatLimits:
    """The limits a message must pass before Rasa handles it (both channels)."""

    def __init__(
        self, settings: bot_settings.Settings, windows: AsyncWindows | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.per_conversation = Limit(settings.conversation_messages_per_minute, 60)
        self.per_client = Limit(settings.client_messages_per_minute, 60)
        # distinct conversations one address may talk in per hour: a fresh `sender` or socket
        # session does not reset the counters above (nor the handover limit's)
        self.new_conversations = Limit(settings.client_new_conversations_per_hour, 3600)
        self.windows = windows or _shared_windows()
        self.clock = clock or (lambda: real_clock.now().timestamp())
        self._checks = 0

    async def wait_before(self, conversation_id: str, client: str | None) -> tuple[str, float] | None:
        """None when the message may go on, else (which limit: "client", "new_conversation" or
        "conversation"; seconds to wait). Counts the message."""
        now = self.clock()
        self._checks += 1
        if self._checks % 1000 == 0:
            self.windows.memory.forget_idle(now, 3600)
        if client is not None:
            wait = await self.windows.hit(f"client:{client}", self.per_client, now)
            if wait:
                return "client", wait
            wait = await self.windows.admit_wait(f"conversations:{client}", conversation_id, self.new_conversations, now)
            if wait:
                return "new_conversation", wait
        wait = await self.windows.hit(f"conversation:{conversation_id}", self.per_conversation, now)
        if wait:
            return "conversation", wait
        return None


_shared: AsyncWindows | None = None


def _shared_windows() -> AsyncWindows:
    """One set of windows per Rasa process: the website and REST channels count together."""
    global _shared
    if _shared is None:
        _shared = AsyncWindows()
    return _shared
