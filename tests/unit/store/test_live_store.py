"""Live handover in the database: presence, the waiting list, joining races, ending, time-outs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.store import accounts, casework, conversations, db, live, scheduling
from bot.store.tables import LiveChat

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
IDLE = 10


def mediators(session, count=2):
    return [accounts.add_mediator(session, f"Claire{i} Martin", f"claire{i}@example.org", now=NOW) for i in range(count)]


def test_presence_needs_the_flag_a_recent_ping_and_an_active_account(url):
    with db.session(url) as session:
        claire, karim = mediators(session)
        session.commit()
        assert live.available_mediators(session, IDLE, now=NOW) == []
        live.set_available(session, claire.id, True, now=NOW)
        live.set_available(session, karim.id, True, now=NOW - timedelta(minutes=IDLE + 1))  # idle too long
        assert [m.id for m in live.available_mediators(session, IDLE, now=NOW)] == [claire.id]
        live.ping(session, karim.id, now=NOW)
        assert len(live.available_mediators(session, IDLE, now=NOW)) == 2
        karim.active = False
        session.commit()
        assert [m.id for m in live.available_mediators(session, IDLE, now=NOW)] == [claire.id]
        live.set_available(session, claire.id, False, now=NOW)
        assert live.available_mediators(session, IDLE, now=NOW) == []


def test_a_request_is_made_once_and_heads_the_queue(url):
    with db.session(url) as session:
        scheduling.request_callback(session, "earlier", "le matin", (NOW + timedelta(days=1)).date(), now=NOW)
        session.commit()
        first = live.request(session, "someone", now=NOW)
        again = live.request(session, "someone", now=NOW + timedelta(seconds=5))  # a second tab, a double click
        assert again.id == first.id and first.state == "waiting"
        assert [w.chat_id for w in live.waiting(session)] == [first.id]
        entries = casework.queue(session, now=NOW)
        assert entries[0].dossier.conversation_id == "someone"
        assert entries[0].reason == "attend un médiateur en direct"


def test_two_mediators_join_at_once_and_exactly_one_wins(url):
    with db.session(url) as session:
        claire, karim = mediators(session)
        chat = live.request(session, "someone", now=NOW)
        joined = live.join(session, chat.id, claire.id, lease_minutes=30, now=NOW)
        assert joined.state == "active" and joined.mediator_id == claire.id
        with pytest.raises(live.LiveError, match="déjà rejoint"):
            live.join(session, chat.id, karim.id, lease_minutes=30, now=NOW)
        dossier = casework.dossier_for_console(session, chat.dossier_id, now=NOW)
        assert dossier.assigned_to == claire.id and dossier.status == "en_cours"
        assert [a.action for a in dossier.audit] == ["direct_demande", "direct_rejoint"]


def test_only_the_mediator_who_joined_may_write(url):
    with db.session(url) as session:
        claire, karim = mediators(session)
        chat = live.request(session, "someone", now=NOW)
        with pytest.raises(live.LiveError, match="pas d'échange"):
            live.require_writer(live.latest_chat(session, chat.dossier_id), claire.id)  # nobody joined yet
        live.join(session, chat.id, claire.id, 30, now=NOW)
        assert live.require_writer(live.latest_chat(session, chat.dossier_id), claire.id).id == chat.id
        with pytest.raises(live.LiveError, match="Seule la personne"):
            live.require_writer(live.latest_chat(session, chat.dossier_id), karim.id)
        live.end(session, chat.id, "handback", now=NOW)
        with pytest.raises(live.LiveError, match="pas d'échange"):
            live.require_writer(live.latest_chat(session, chat.dossier_id), claire.id)


def test_ending_happens_once_and_a_late_join_is_refused(url):
    with db.session(url) as session:
        (claire,) = mediators(session, 1)
        chat = live.request(session, "someone", now=NOW)
        ended = live.end(session, chat.id, "timeout", now=NOW)
        assert ended.state == "timed_out" and ended.ended_by == "timeout"
        assert live.end(session, chat.id, "person", now=NOW) is None  # already over
        with pytest.raises(live.LiveError, match="n'attend plus"):
            live.join(session, chat.id, claire.id, 30, now=NOW)
        # the person may ask again later: a new chat
        assert live.request(session, "someone", now=NOW).id != chat.id


def test_overdue_finds_the_unanswered_and_the_abandoned(url):
    with db.session(url) as session:
        claire, karim = mediators(session)
        late = live.request(session, "late", now=NOW - timedelta(seconds=200))
        fresh = live.request(session, "fresh", now=NOW - timedelta(seconds=30))
        left = live.request(session, "left", now=NOW - timedelta(minutes=30))
        kept = live.request(session, "kept", now=NOW - timedelta(minutes=30))
        live.join(session, left.id, claire.id, 30, now=NOW - timedelta(minutes=29))
        live.join(session, kept.id, karim.id, 30, now=NOW - timedelta(minutes=29))
        live.ping(session, claire.id, now=NOW - timedelta(minutes=IDLE + 5))  # closed the console long ago
        live.ping(session, karim.id, now=NOW - timedelta(minutes=1))
        found = {(chat.id, why) for chat, why in live.overdue(session, 180, IDLE, now=NOW)}
        assert found == {(late.id, "timeout"), (left.id, "absent")}
        assert fresh.id not in {chat_id for chat_id, _ in found}


def test_erasing_a_conversation_removes_its_live_part(url):
    with db.session(url) as session:
        live.request(session, "someone", now=NOW)
        conversations.erase(session, "someone")
        session.commit()
        assert session.query(LiveChat).count() == 0
