"""The website channel (socket.io inside the real Rasa server) and the web app's API, without a browser:
server-issued ids, no access to another conversation, size cap, polite answers to bad input.
The web app's own checks (bad API requests, the page's headers) run in-process: tests/web/test_web_app.py.
"""

from __future__ import annotations

import time

import pytest
import requests
import socketio
from sqlalchemy import text

from bot.store import db
from bot.web import conversation_ids
from tests.support.visitor import Visitor

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)


@pytest.fixture
def visitors(servers):
    opened = []

    def open_one(**kwargs) -> Visitor:
        visitor = Visitor(servers, **kwargs)
        opened.append(visitor)
        return visitor

    yield open_one
    for visitor in opened:
        visitor.close()


def said_in(servers, conversation: str, until=None, timeout: float = 10.0) -> list[str]:
    """The person's stored messages; with `until`, read again until it holds (or `timeout`): the
    socket.io replies reach the browser while Rasa is still working, before it stores the turn."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session(servers.database_url) as session:
            rows = (
                session.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": conversation})
                .scalars()
                .all()
            )
        if until is None or until(rows) or time.monotonic() > deadline:
            return list(rows)
        time.sleep(0.1)


def test_replies_arrive_and_the_server_chooses_the_conversation_id(visitors, servers):
    visitor = visitors()
    token = visitor.start("mon-identifiant-a-moi")
    assert token != "mon-identifiant-a-moi"
    conversation = conversation_ids.conversation_of(servers.conversation_secret, token)
    assert conversation and len(conversation) == 32  # 128 random bits
    # the reply reaches the browser: this fails with Rasa 3.6's own channel on python-socketio >= 5.10
    assert "Bonjour" in visitor.say("bonjour")
    assert any("bonjour" in row for row in said_in(servers, conversation, until=lambda rows: rows))


def test_no_one_can_read_or_write_another_conversation(visitors, servers):
    alice = visitors()
    alice_token = alice.start()
    alice_id = alice_token.split(".")[0]
    alice.say("je suis plombier a Lyon et je veux un site")

    mallory = visitors()
    forged = alice_id + "." + "0" * 32  # the id alone is not enough: the signature is checked
    mallory_token = mallory.start(forged)
    assert mallory_token.split(".")[0] != alice_id
    # Rasa's own channel lets a message name its conversation; ours ignores that field
    mallory.say("message de mallory", session_id=alice_token)
    alice.say("et aussi une page sur les cartes")
    assert not any("mallory" in row for row in said_in(servers, alice_id))
    assert all(event != "bot_uttered" or "cartes" not in data.get("text", "") for event, data in mallory.quiet(1))

    # the history API answers only with a valid token, and only that conversation
    api = f"http://127.0.0.1:{servers.web_port}/api/conversation/history"
    assert requests.post(api, json={"token": forged}, timeout=10).status_code == 404
    theirs = requests.post(api, json={"token": mallory_token}, timeout=10).json()["messages"]
    assert not any("plombier" in m["text"] for m in theirs)
    mine = requests.post(api, json={"token": alice_token}, timeout=10).json()["messages"]
    assert mine[0] == {**mine[0], "from": "user", "text": "je suis plombier a Lyon et je veux un site"}


@pytest.mark.parametrize("size", [2001, 100_000])
def test_too_long_a_message_gets_a_polite_reply_and_is_not_stored(visitors, servers, size):
    visitor = visitors()
    conversation = visitor.start().split(".")[0]
    reply = visitor.say("a" * size)
    assert "trop long" in reply and "résumer" in reply
    assert said_in(servers, conversation) == []
    assert "Bonjour" in visitor.say("bonjour")  # still connected, still answered


@pytest.mark.parametrize("bad", ["", "   \n\t ", {"message": 42}, {"message": None}, ["liste"], "x"])
def test_blank_or_malformed_messages_get_a_clear_answer(visitors, bad):
    visitor = visitors()
    visitor.start()
    if bad == "x":  # a plain string instead of an object
        visitor.client.emit("user_uttered", "juste du texte")
        reply = visitor.expect("bot_uttered")["text"]
    else:
        reply = visitor.say(bad)
    assert "Je n’ai pas reçu de texte" in reply


def test_a_message_before_any_session_is_answered_not_dropped(visitors):
    visitor = visitors()
    visitor.client.emit("user_uttered", {"message": "bonjour"})
    assert "Rechargez la page" in visitor.expect("bot_uttered")["text"]


def test_other_sites_cannot_open_the_socket_unless_allowed(servers):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            f"http://127.0.0.1:{servers.rasa_port}",
            transports=["polling"],
            headers={"Origin": "https://evil.example"},
            wait_timeout=10,
        )
