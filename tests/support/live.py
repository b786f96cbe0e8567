"""A Rasa HTTP API that records what the console's live relay sends it, and a person waiting in the live chat."""

from __future__ import annotations

from bot import clock
from bot.store import db, dossiers, live
from bot.store.tables import LiveChat
from bot.web import conversation_ids
from bot.web.rasa_api import RasaUnavailable
from tests.support import rasa_events


class FakeRasa:
    """Rasa's HTTP API as bot/web/rasa_api.py::RasaClient calls it; `away` makes every call fail."""

    calls: list[tuple[str, str, object]] = []
    away = False

    def __init__(self, base_url: str, token: str) -> None:
        pass

    async def append(self, conversation_id: str, events: list[dict]) -> None:
        if FakeRasa.away:
            raise RasaUnavailable("away")
        FakeRasa.calls.append(("append", conversation_id, events))

    async def trigger(self, conversation_id: str, intent: str) -> None:
        if FakeRasa.away:
            raise RasaUnavailable("away")
        FakeRasa.calls.append(("trigger", conversation_id, intent))

    async def close(self) -> None:
        pass


def waiting_person(site) -> tuple[str, LiveChat]:
    token, conversation = conversation_ids.new_conversation(site.conversation_secret)
    with db.session(site.database_url) as session:
        rasa_events.create_events_table(session)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=clock.now())
        dossiers.confirm_latest_need(session, conversation, True, now=clock.now())
        chat = live.request(session, conversation, now=clock.now())
        session.commit()
        return token, chat
