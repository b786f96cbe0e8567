"""The live watcher, every WATCH_EVERY_SECONDS: ends the live chats nobody picked up in time
(« timeout ») and those a mediator left behind (« absent »), e-mails the mediators when a person
waits while nobody watches the console (bot/store/live.py: alert_unwatched), and finishes giving
back to the assistant the conversations whose live part ended while Rasa was away.

Words reach the person through Rasa's HTTP API, which the web app holds (bot/web/live.py:
LiveRelay): the web app passes it in as an `Assistant`, so bot/jobs never imports bot/web.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot import clock
from bot import settings as bot_settings
from bot.jobs import runner
from bot.store import conversations, db, live

logger = logging.getLogger(__name__)
WATCH_EVERY_SECONDS = 2
REPAIR_AFTER_SECONDS = 30  # an ended chat still paused after this: resume it again
REPAIR_WITHIN = timedelta(hours=6)  # older ends are left alone


class Assistant(Protocol):
    """What the watcher needs from the conversations held by Rasa (bot/web/live.py: LiveRelay)."""

    async def end(self, chat_id: int, ended_by: str) -> bool:
        """End the chat unless someone did first (False then), and give the conversation back."""

    async def give_back(self, conversation_id: str, ended_by: str, mediator_name: str | None, paused: bool) -> bool:
        """Resume a conversation still `paused`, or send the follow-up it missed; False when Rasa
        does not answer."""

    def follows_up(self, ended_by: str) -> bool:
        """Whether the assistant speaks again after a live part ended by `ended_by`."""


def _in_db(database_url: str, work):
    """`work(session)` in a worker thread, committed: a round of the job is the transaction boundary."""

    def run():
        with db.session(database_url) as session:
            result = work(session)
            session.commit()
            return result

    return run_in_threadpool(run)


class Watcher:
    def __init__(self, settings: bot_settings.Settings, assistant: Assistant) -> None:
        self.settings = settings
        self.assistant = assistant

    async def watch_once(self) -> None:
        settings = self.settings
        overdue = await _in_db(
            settings.database_url,
            lambda s: [
                (c.id, why)
                for c, why in live.overdue(s, settings.live_pickup_seconds, settings.presence_idle_minutes, now=clock.now())
            ],
        )
        for chat_id, why in overdue:
            if await self.assistant.end(chat_id, why):
                logger.info("live chat %s ended: %s", chat_id, why)
        try:
            alerted = await _in_db(
                settings.database_url,
                lambda s: live.alert_unwatched(s, settings.presence_idle_minutes, settings.live_pickup_seconds, now=clock.now()),
            )
            for chat_id in alerted:
                logger.info("live chat %s: a person waits and nobody watches the console; mediators e-mailed", chat_id)
        except Exception:  # the repairs below must still run; the next round retries the alert
            logger.exception("live alert round failed")
        await self.repair_paused()

    def _to_give_back(self, session: Session) -> list[tuple[str, str, str | None, bool]]:
        now = clock.now()
        recent = live.ended_between(session, after=now - REPAIR_WITHIN, before=now - timedelta(seconds=REPAIR_AFTER_SECONDS))
        latest = {c.conversation_id: c for c in recent}  # one repair per conversation: its last chat
        todo = []
        for chat in latest.values():
            ended_by = chat.ended_by or "mediator"
            if live.open_chat(session, chat.conversation_id) is not None:
                continue
            state = conversations.after_live_part(session, chat.conversation_id)
            if state == "paused" or (state == "silent" and self.assistant.follows_up(ended_by)):
                todo.append((chat.conversation_id, ended_by, chat.mediator.name if chat.mediator else None, state == "paused"))
        return todo

    async def repair_paused(self) -> None:
        """Chats ended a while ago whose conversation was not fully given back (Rasa or the action
        server was away): still paused, or resumed without the assistant's follow-up message."""
        for conversation_id, ended_by, mediator_name, paused in await _in_db(self.settings.database_url, self._to_give_back):
            if not await self.assistant.give_back(conversation_id, ended_by, mediator_name, paused):
                return  # still away: next round
            logger.info("conversation %s given back to the assistant after its live part", conversation_id)

    def job(self) -> runner.Job:
        """A round every WATCH_EVERY_SECONDS, in one worker at a time (bot/jobs/runner.py)."""
        return runner.Job("live_watch", timedelta(seconds=WATCH_EVERY_SECONDS), self.watch_once)


def job(settings: bot_settings.Settings, assistant: Assistant) -> runner.Job:
    return Watcher(settings, assistant).job()
