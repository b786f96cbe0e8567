"""A person on the website chat: a socket.io client of the real servers."""

from __future__ import annotations

import queue

import socketio


class Visitor:
    """One browser tab, as the widget talks to the channel."""

    def __init__(self, servers, origin: str | None = None, headers: dict | None = None):
        self.inbox: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for event in ("session_confirm", "bot_uttered", "user_echo", "rate_limited"):
            self.client.on(event, lambda data, event=event: self.inbox.put((event, data)))
        origin = origin or f"http://127.0.0.1:{servers.web_port}"
        self.client.connect(
            f"http://127.0.0.1:{servers.rasa_port}",
            transports=["polling"],
            headers={"Origin": origin, **(headers or {})},
            wait_timeout=20,
        )

    def start(self, token=None) -> str:
        self.client.emit("session_request", {"session_id": token})
        return self.expect("session_confirm")

    def expect(self, wanted: str, timeout: float = 30):
        while True:
            event, data = self.inbox.get(timeout=timeout)
            if event == wanted:
                return data

    def say(self, message, **extra) -> str:
        """Send, and return the first reply of the assistant."""
        self.client.emit("user_uttered", {"message": message, **extra} if isinstance(message, str) else message)
        return self.expect("bot_uttered")["text"]

    def quiet(self, seconds: float = 2.0) -> list:
        got = []
        try:
            while True:
                got.append(self.inbox.get(timeout=seconds))
        except queue.Empty:
            return got

    def close(self):
        # engine.io's CLOSE goes out and the server ends the session; not waiting for the pending
        # long-poll to come back (up to the server's ping interval, 25 s: it made each closed
        # visitor cost the suite half a minute)
        self.client.eio.disconnect(abort=True)
