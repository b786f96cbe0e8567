"""Units of the website chat that need no server: conversation tokens and the socket.io fix."""

from __future__ import annotations

import asyncio

from bot.channels.website import enter_room
from bot.web import conversation_ids


def test_tokens_are_random_signed_and_checked():
    token, conversation = conversation_ids.new_conversation("secret")
    assert token.startswith(conversation + ".") and len(conversation) == 32
    assert conversation_ids.conversation_of("secret", token) == conversation
    assert conversation_ids.new_conversation("secret")[1] != conversation
    assert conversation_ids.conversation_of("another secret", token) is None
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad in (tampered, conversation, conversation + ".", "", None, 42, token + " ", token.upper()):
        assert conversation_ids.conversation_of("secret", bad) is None


def test_enter_room_is_awaited_when_python_socketio_makes_it_a_coroutine():
    joined = []

    class NewSocketIO:  # python-socketio >= 5.10
        async def enter_room(self, sid, room):
            joined.append((sid, room))

    class OldSocketIO:  # python-socketio < 5.10
        def enter_room(self, sid, room):
            joined.append((sid, room))

    asyncio.run(enter_room(NewSocketIO(), "sid-1", "room-1"))
    asyncio.run(enter_room(OldSocketIO(), "sid-2", "room-2"))
    assert joined == [("sid-1", "room-1"), ("sid-2", "room-2")]
