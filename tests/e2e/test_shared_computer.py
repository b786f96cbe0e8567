"""A shared public computer (France Services desk, library, town hall): a conversation idle longer
than CONVERSATION_IDLE_MINUTES is not resumed from the browser: the socket.io channel gives a new
conversation to a reconnect or a message with its token (real Rasa server, the conversation's
events aged in the database). The history API's side, in-process: tests/web/test_shared_computer.py;
the widget's, in Chromium: tests/browser/test_shared_computer_browser.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.store import db
from bot.web import conversation_ids
from tests.support.servers import age

# --- the socket.io channel, in the real Rasa server ------------------------------------------------


def visitor(servers):
    """A widget's socket (tests/e2e/test_website_channel.py) that also hears the typing indicator."""
    from tests.support.visitor import Visitor

    opened = Visitor(servers)
    opened.client.on("typing", lambda data: opened.inbox.put(("typing", data)))
    return opened


def say_whole_turn(visitor, message: str) -> None:
    """Send, and wait for the end of the assistant's turn (its events are stored by then)."""
    visitor.client.emit("user_uttered", {"message": message})
    while visitor.expect("typing").get("on"):
        pass


@pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)
def test_the_channel_does_not_resume_an_idle_conversation(servers):
    first = visitor(servers)
    try:
        token = first.start()
        conversation = conversation_ids.conversation_of(servers.conversation_secret, token)
        say_whole_turn(first, "je m'appelle Camille et je veux un site")
        age(servers, conversation, 29)
    finally:
        first.close()

    back = visitor(servers)  # within the idle time: the same conversation
    try:
        assert back.start(token) == token
    finally:
        back.close()

    age(servers, conversation, 2)  # now 31 minutes: the next person at the same computer
    after = visitor(servers)
    try:
        fresh = after.start(token)
        assert fresh != token
        say_whole_turn(after, "bonjour")
        assert conversation_ids.conversation_of(servers.conversation_secret, fresh) != conversation
    finally:
        after.close()
    with db.session(servers.database_url) as session:
        said = session.execute(
            text("SELECT COUNT(*) FROM events WHERE sender_id = :c AND type_name = 'user'"), {"c": conversation}
        ).scalar_one()
    assert said == 1  # nothing was added to the old conversation


@pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)
def test_a_message_on_a_socket_left_open_goes_to_a_new_conversation(servers):
    tab = visitor(servers)
    try:
        token = tab.start()
        conversation = conversation_ids.conversation_of(servers.conversation_secret, token)
        say_whole_turn(tab, "je voudrais un site internet")
        age(servers, conversation, 31)  # the page stayed open, nobody wrote for 31 minutes
        tab.client.emit("user_uttered", {"message": "bonjour"})
        fresh = tab.expect("session_confirm")  # the widget empties the chat and keeps the new token
        assert fresh != token
        while tab.expect("typing").get("on"):
            pass
    finally:
        tab.close()
    with db.session(servers.database_url) as session:
        new = conversation_ids.conversation_of(servers.conversation_secret, fresh)
        rows = session.execute(
            text("SELECT sender_id FROM events WHERE type_name = 'user' AND sender_id IN (:a, :b)"), {"a": conversation, "b": new}
        ).scalars()
        assert sorted(rows) == sorted([conversation, new])  # « bonjour » went to the new one
