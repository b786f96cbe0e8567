"""A shared public computer (France Services desk, library, town hall): a conversation idle longer
than CONVERSATION_IDLE_MINUTES is not shown from the browser — the history API refuses it
(in-process, with the web app's clock moved), and the privacy notice says so. The socket.io
channel's side (real Rasa server): tests/e2e/test_shared_computer.py; the widget's, in Chromium:
tests/browser/test_shared_computer_browser.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from starlette.testclient import TestClient

from bot.store import conversations, db
from bot.web import conversation_ids
from bot.web.app import create_app
from tests.support import rasa_events

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


def test_the_privacy_notice_tells_about_shared_computers(web):
    page = web.client.get("/").text
    assert "Sur un ordinateur partagé" in page and "après 30 minutes sans activité" in page
    assert "«&nbsp;J’ai fini&nbsp;»" in page  # French typography (bot/language/french.py: polish)
