"""A shared public computer (France Services desk, library, town hall): a conversation idle longer
than CONVERSATION_IDLE_MINUTES is not shown nor resumed from the browser — the history API refuses
it (in-process, with the web app's clock moved), and the socket.io channel gives a new
conversation to a reconnect or a message with its token (real Rasa server, the conversation's
events aged in the database). The widget's side, in Chromium: tests/browser/test_shared_computer_browser.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from bot.store import conversations, db
from bot.web import conversation_ids
from bot.web.app import create_app
from tests.support import rasa_events
from tests.support.servers import age

START = 1_767_000_000.0  # tests/support/rasa_events.py: the first line's timestamp
LAST_EVENT = datetime.fromtimestamp(START + 1, tz=timezone.utc)  # two lines, one second apart
HISTORY = "/api/conversation/history"


class MovableClock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_the_history_of_a_conversation_idle_too_long_is_refused(web):
    assert web.settings.conversation_idle_minutes == 30  # the default
    token, conversation = conversation_ids.new_conversation(web.conversation_secret)
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        rasa_events.say(session, conversation, ("user", "je m'appelle Camille, 06 12 34 56 78"), ("bot", "Merci !"), start=START)
    clock = MovableClock(LAST_EVENT + timedelta(minutes=29))
    client = TestClient(create_app(web.settings, now=clock))

    shown = client.post(HISTORY, json={"token": token})
    assert shown.status_code == 200 and [m["text"] for m in shown.json()["messages"]][0].startswith("je m'appelle")

    clock.at = LAST_EVENT + timedelta(minutes=31)  # the next person sits down
    refused = client.post(HISTORY, json={"token": token})
    assert refused.status_code == 410
    assert refused.json()["expired"] is True and "inactive" in refused.json()["error"]
    assert "Camille" not in refused.text and "06 12" not in refused.text
    with db.session(web.database_url) as session:  # refused, not erased: the mediators keep it
        assert rasa_events.count_events(session, conversation) == 2


def test_a_conversation_with_nothing_in_it_yet_is_not_idle(web):
    token, conversation = conversation_ids.new_conversation(web.conversation_secret)
    client = TestClient(create_app(web.settings, now=MovableClock(LAST_EVENT + timedelta(days=400))))
    assert client.post(HISTORY, json={"token": token}).json()["messages"] == []  # no events table yet
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        assert conversations.last_activity(session, conversation) is None
        assert not conversations.is_idle(session, conversation, timedelta(minutes=30), LAST_EVENT + timedelta(days=400))
    assert client.post(HISTORY, json={"token": token}).json()["messages"] == []


def test_the_idle_time_is_a_setting(web):
    import dataclasses

    token, conversation = conversation_ids.new_conversation(web.conversation_secret)
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        rasa_events.say(session, conversation, ("user", "bonjour"), start=START)
    settings = dataclasses.replace(web.settings, conversation_idle_minutes=5)
    client = TestClient(create_app(settings, now=MovableClock(LAST_EVENT + timedelta(minutes=6))))
    assert client.post(HISTORY, json={"token": token}).status_code == 410
    assert 'var IDLE_MINUTES = Number("5")' in client.get("/widget.js").text  # the widget forgets after as long


def test_the_setting_is_read_from_the_environment(monkeypatch):
    from bot import settings

    monkeypatch.setenv("CONVERSATION_IDLE_MINUTES", "12")
    assert settings.load().conversation_idle_minutes == 12
    monkeypatch.delenv("CONVERSATION_IDLE_MINUTES")
    assert settings.load().conversation_idle_minutes == 30


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


def test_the_privacy_notice_tells_about_shared_computers(web):
    page = web.client.get("/").text
    assert "Sur un ordinateur partagé" in page and "après 30 minutes sans activité" in page
    assert "«&nbsp;J’ai fini&nbsp;»" in page  # French typography (bot/language/french.py: polish)
