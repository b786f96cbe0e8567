"""The live watcher (bot/jobs/live_watch.py) with a stand-in for the web app's relay: it ends the
chats nobody picked up in time, and gives back the conversations left paused, stopping the
round when Rasa does not answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import clock
from bot.jobs import live_watch
from bot.store import conversations, db, live
from tests.support.servers import settings_for_tests

NOW = clock.now().replace(microsecond=0)


class FakeAssistant:
    def __init__(self, answers: bool = True) -> None:
        self.answers = answers
        self.ended: list[tuple[int, str]] = []
        self.given_back: list[tuple[str, str, bool]] = []

    async def end(self, chat_id: int, ended_by: str) -> bool:
        with db.session(self.url) as session:
            chat = live.end(session, chat_id, ended_by, now=clock.now())
            session.commit()
        self.ended.append((chat_id, ended_by))
        return chat is not None

    async def give_back(self, conversation_id, ended_by, mediator_name, paused) -> bool:
        if self.answers:
            self.given_back.append((conversation_id, ended_by, paused))
        return self.answers

    def follows_up(self, ended_by: str) -> bool:
        return ended_by != "mediator"


def waiting(url, conversation: str, at) -> int:
    with db.session(url) as session:
        chat_id = live.request(session, conversation, now=at).id
        session.commit()
        return chat_id


def test_the_watcher_ends_what_nobody_picked_up_then_gives_the_conversation_back(url, tmp_path, monkeypatch):
    settings = settings_for_tests(url, tmp_path)
    assistant = FakeAssistant()
    assistant.url = url
    watcher = live_watch.Watcher(settings, assistant)
    chat_id = waiting(url, "conv-watch", NOW)
    monkeypatch.setattr(conversations, "after_live_part", lambda session, conversation_id: "paused")

    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(seconds=10))
    asyncio.run(watcher.watch_once())
    assert assistant.ended == []  # still within the pick-up time

    late = NOW + timedelta(seconds=settings.live_pickup_seconds + 1)
    monkeypatch.setattr(clock, "now", lambda: late)
    asyncio.run(watcher.watch_once())
    assert assistant.ended == [(chat_id, "timeout")] and assistant.given_back == []  # just ended: not repaired yet

    monkeypatch.setattr(clock, "now", lambda: late + timedelta(seconds=live_watch.REPAIR_AFTER_SECONDS + 1))
    assistant.answers = False  # Rasa away: nothing given back, next round tries again
    asyncio.run(watcher.repair_paused())
    assert assistant.given_back == []
    assistant.answers = True
    asyncio.run(watcher.repair_paused())
    assert assistant.given_back == [("conv-watch", "timeout", True)]


def test_a_silent_conversation_is_followed_up_only_when_the_end_calls_for_it(url, tmp_path, monkeypatch):
    settings = settings_for_tests(url, tmp_path)
    assistant = FakeAssistant()
    assistant.url = url
    for conversation, ended_by in (("conv-a", "mediator"), ("conv-b", "handback")):
        chat_id = waiting(url, conversation, NOW)
        with db.session(url) as session:
            live.end(session, chat_id, ended_by, now=NOW)
            session.commit()
    monkeypatch.setattr(conversations, "after_live_part", lambda session, conversation_id: "silent")
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(minutes=5))
    asyncio.run(live_watch.Watcher(settings, assistant).repair_paused())
    assert assistant.given_back == [("conv-b", "handback", False)]


def test_the_job_is_one_round_every_two_seconds(url, tmp_path):
    job = live_watch.job(settings_for_tests(url, tmp_path), FakeAssistant())
    assert (job.name, job.every) == ("live_watch", timedelta(seconds=2))
