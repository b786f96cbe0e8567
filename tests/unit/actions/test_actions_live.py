"""The assistant's side of the live handover (actions/live.py), run in-process on a SQLite store."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from rasa_sdk.events import ConversationPaused, SlotSet

from actions.handover_menu import ActionOfferHumanOptions
from actions.live import ActionLiveEnded, ActionLiveTimeout
from bot import clock
from bot.domain import opening_hours
from bot.store import accounts, db, live
from tests.support.actions import ALWAYS_OPEN, make_tracker, run
from tests.support.clock import AT

pytestmark = pytest.mark.usefixtures("store_url")
NEVER_OPEN = json.dumps({"closed_on_public_holidays": True, "week": {"lundi": ["09:00-10:00"]}})


def responses(messages):
    return [m["response"] for m in messages]


def ask_human():
    return run(ActionOfferHumanOptions(), make_tracker("je veux parler a quelqu'un", "ask_human"))


def mediator_on_duty(url: str, available: bool = True) -> int:
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Claire Martin", "claire@example.org", now=AT)
        session.commit()
        live.set_available(session, mediator.id, available, now=clock.now())  # the actions read the real clock
        session.commit()
        return mediator.id


def test_a_mediator_on_duty_joins_and_the_assistant_steps_aside(store_url, monkeypatch):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    monkeypatch.setenv("LIVE_PICKUP_SECONDS", "120")
    mediator_on_duty(store_url)
    messages, events = ask_human()
    assert responses(messages) == ["utter_live_joining"]
    assert messages[0]["delai"] == "2 minutes" and messages[0]["custom"] == {"live": {"state": "waiting"}}
    assert events == [SlotSet("mode_contact", None), ConversationPaused()]
    with db.session(store_url) as session:
        chat = live.open_chat(session, "someone")
        assert chat.state == "waiting" and chat.dossier.conversation_id == "someone"
    _, again = ask_human()  # asked twice (two tabs): still one request
    assert again[-1] == ConversationPaused()
    with db.session(store_url) as session:
        assert len(live.waiting(session)) == 1


def test_nobody_available_offers_the_other_ways(store_url, monkeypatch):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    mediator_on_duty(store_url, available=False)
    messages, events = ask_human()
    assert responses(messages) == ["utter_nobody_available", "utter_human_options"]
    assert events == [SlotSet("mode_contact", None)]


def test_when_closed_the_assistant_says_when_the_team_is_back(store_url, monkeypatch):
    monkeypatch.setenv("OPENING_HOURS", NEVER_OPEN)
    mediator_on_duty(store_url)  # marked available, but out of opening hours
    messages, events = ask_human()
    assert responses(messages) == ["utter_service_closed", "utter_human_options"]
    reopening = opening_hours.load().next_opening(datetime.now(timezone.utc))
    assert messages[0]["reouverture"].endswith("à 9 h") and reopening.weekday() == 0
    assert ConversationPaused() not in events


def test_without_the_database_the_other_ways_remain(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/x.db")
    messages, events = ask_human()
    assert responses(messages) == ["utter_human_options"] and ConversationPaused() not in events


def test_after_the_live_part_the_assistant_carries_on():
    messages, _ = run(ActionLiveEnded(), make_tracker())
    assert responses(messages) == ["utter_anything_else"]
    messages, _ = run(ActionLiveTimeout(), make_tracker())
    assert responses(messages) == ["utter_live_timeout", "utter_human_options"]
    assert messages[0]["custom"] == {"live": {"state": "ended"}}  # the widget leaves its live mode


def test_live_requests_count_in_the_handover_limit(store_url, monkeypatch):
    """Each live request alerts the mediators and goes before the queue: from one client address it
    counts with the call backs and appointments (RATE_LIMIT_HANDOVERS_PER_HOUR), one conversation once."""
    from actions import limits
    from bot import rate_limits
    from bot.rate_limits import Windows

    monkeypatch.setenv("OPENING_HOURS", ALWAYS_OPEN)
    monkeypatch.setenv("RATE_LIMIT_HANDOVERS_PER_HOUR", "2")
    monkeypatch.setattr(limits, "_shared", Windows(url=""))
    mediator_on_duty(store_url)
    office = rate_limits.client_key("198.51.100.7", "s")

    def ask_from(conversation: str, client: str | None):
        event = {"event": "user", "text": "un humain", "metadata": {"client": client}}
        tracker = make_tracker("je veux parler a quelqu'un", "ask_human", events=[event])
        tracker.sender_id = conversation
        return run(ActionOfferHumanOptions(), tracker)

    for conversation in ("live-1", "live-2", "live-1"):  # live-1 twice (two tabs): one request
        assert ask_from(conversation, office)[1][-1] == ConversationPaused()
    messages, events = ask_from("live-3", office)
    assert "Plusieurs demandes" in messages[0]["text"] and "01 00 00 00 00" in messages[0]["text"]
    assert ConversationPaused() not in events and len(messages) == 1
    assert ask_from("live-4", rate_limits.client_key("198.51.100.8", "s"))[1][-1] == ConversationPaused()
    with db.session(store_url) as session:
        assert len(live.waiting(session)) == 3
        assert live.open_chat(session, "live-3") is None and live.open_chat(session, "live-4").state == "waiting"
