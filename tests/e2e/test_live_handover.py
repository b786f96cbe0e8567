"""Live handover end to end: the real Rasa, action server and web app, a person on the REST
webhook and mediators in the console over HTTP (the browser test does it in two Chromium pages).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot import clock
from bot.store import conversations, db, live
from bot.store.tables import LiveChat, Mediator
from tests.support.console_client import Console, make_account, nobody_on_duty

JSON = {"Accept": "application/json"}


def console_of(settings, name: str, available: bool) -> Console:
    console = Console(settings)
    console.login(make_account(settings, name=name))
    if available:
        console.post("/presence", {"disponible": "1"})
    return console


@pytest.fixture
def mediators(servers):
    """Claire on duty, Karim logged in but away; nobody on duty after the test."""
    claire = console_of(servers, "Claire Dupont", available=True)
    karim = console_of(servers, "Karim Benali", available=False)
    yield claire, karim
    nobody_on_duty(servers)


def live_chat(settings, conversation_id: str) -> LiveChat | None:
    with db.session(settings.database_url) as session:
        return session.query(LiveChat).filter_by(conversation_id=conversation_id).order_by(LiveChat.id.desc()).first()


def transcript(settings, conversation_id: str) -> list[tuple[str, str]]:
    with db.session(settings.database_url) as session:
        return [(line.speaker, line.text) for line in conversations.transcript(session, conversation_id)]


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_a_mediator_joins_chats_and_hands_back(servers, chat, mediators):
    claire, karim = mediators
    replies = chat.say("je voudrais parler a un mediateur svp")
    assert "va vous rejoindre" in chat.texts(replies)
    assert chat.say("vous etes la ?") == []  # the assistant steps aside while the person waits
    waiting = claire.get("/direct/etat.json", headers=JSON).json()
    request = live_chat(servers, chat.sender)
    assert waiting["available"] is True and request.id in [w["chat"] for w in waiting["waiting"]]
    queue = claire.get("/file")
    assert "attend un médiateur en direct" in queue.text

    joined = claire.post(f"/direct/{request.id}/rejoindre")
    assert "Vous avez rejoint" in Console.flash(joined) and 'id="live-form"' in joined.text
    late = karim.post(f"/direct/{request.id}/rejoindre")
    assert "déjà rejoint" in Console.flash(late)
    dossier = request.dossier_id

    sent = claire.post(
        f"/dossiers/{dossier}/direct/message", {"message": "Bonjour, je suis Claire. <b>Je vous lis</b>"}, headers=JSON
    )
    assert sent.status_code == 200, sent.text
    intruder = karim.post(f"/dossiers/{dossier}/direct/message", {"message": "Bonjour"}, headers=JSON)
    assert intruder.status_code == 403 and "Seule la personne" in intruder.json()["error"]
    empty = claire.post(f"/dossiers/{dossier}/direct/message", {"message": "   "}, headers=JSON)
    assert empty.status_code == 400
    assert chat.say("merci, je n'arrive pas a declarer mon chiffre d'affaires") == []
    stopped = karim.post(f"/dossiers/{dossier}/direct/terminer", {"rendre_la_main": "1"})
    assert "Seule la personne" in Console.flash(stopped)

    view = claire.get(f"/dossiers/{dossier}/direct.json?apres=0", headers=JSON).json()
    assert view["state"] == "active" and view["mine"] is True
    said = [(line["speaker"], line["text"]) for line in view["lines"]]
    assert said[-3:] == [
        ("info", "Claire, de l'équipe de médiation, vous a rejoint. Vous pouvez lui écrire ici."),
        ("mediateur", "Bonjour, je suis Claire. <b>Je vous lis</b>"),
        ("personne", "merci, je n'arrive pas a declarer mon chiffre d'affaires"),
    ]
    assert said[0] == ("personne", "je voudrais parler a un mediateur svp")  # the assistant's part too
    newer = claire.get(f"/dossiers/{dossier}/direct.json?apres={view['lines'][-2]['id']}", headers=JSON).json()
    assert [line["text"] for line in newer["lines"]] == [view["lines"][-1]["text"]]
    page = claire.get(f"/dossiers/{dossier}")
    assert "&lt;b&gt;Je vous lis&lt;/b&gt;" in page.text and "<b>Je vous lis</b>" not in page.text

    ended = claire.post(f"/dossiers/{dossier}/direct/terminer", {"rendre_la_main": "1"})
    assert "l'assistant reprend" in Console.flash(ended)
    wait_for(lambda: any("autre question" in text for _, text in transcript(servers, chat.sender)))
    assert live_chat(servers, chat.sender).ended_by == "handback"
    assert chat.texts(chat.say("merci beaucoup")).strip()  # the assistant answers again

    # the stored transcript has every message, in order
    lines = transcript(servers, chat.sender)
    order = [
        ("personne", "je voudrais parler a un mediateur svp"),
        ("personne", "vous etes la ?"),
        ("info", "Claire, de l'équipe de médiation, vous a rejoint. Vous pouvez lui écrire ici."),
        ("mediateur", "Bonjour, je suis Claire. <b>Je vous lis</b>"),
        ("personne", "merci, je n'arrive pas a declarer mon chiffre d'affaires"),
        ("info", "Claire a terminé l'échange et laisse la main à l'assistant."),
        ("personne", "merci beaucoup"),
    ]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)
    with db.session(servers.database_url) as session:
        mediator_line = next(line for line in conversations.transcript(session, chat.sender) if line.speaker == "mediateur")
        assert mediator_line.author == "Claire"  # first name only


def test_nobody_on_duty_the_person_is_offered_a_call_back(servers, chat):
    with db.session(servers.database_url) as session:
        assert live.available_mediators(session, servers.presence_idle_minutes, now=clock.now()) == []
    replies = chat.say("je veux parler a quelqu'un")
    assert "Personne de l'équipe n'est libre" in chat.texts(replies)
    assert "Être rappelé" in [b["title"] for b in chat.buttons(replies)]
    assert live_chat(servers, chat.sender) is None


def test_nobody_picks_up_in_time_the_person_is_offered_a_call_back(servers, chat, mediators):
    assert "va vous rejoindre" in chat.texts(chat.say("je voudrais parler a un humain"))
    with db.session(servers.database_url) as session:  # as if the 3 minutes had passed
        session.execute(
            update(LiveChat)
            .where(LiveChat.conversation_id == chat.sender)
            .values(requested_at=clock.now() - timedelta(seconds=servers.live_pickup_seconds + 5))
        )
        session.commit()
    wait_for(lambda: live_chat(servers, chat.sender).state == "timed_out")
    lines = wait_for(lambda: [t for _, t in transcript(servers, chat.sender) if "n'a pu se libérer" in t])
    assert lines
    replies = chat.say('/ask_human{"mode_contact": "rappel"}')  # « Être rappelé »
    assert "Êtes-vous d'accord" in chat.texts(replies)  # the call-back form asks for consent


def test_a_mediator_who_leaves_does_not_leave_the_person_waiting(servers, chat, mediators):
    claire, _ = mediators
    chat.say("je veux parler a un mediateur")
    request = live_chat(servers, chat.sender)
    claire.post(f"/direct/{request.id}/rejoindre")
    mediator_id = live_chat(servers, chat.sender).mediator_id
    with db.session(servers.database_url) as session:  # Claire closed her console long ago
        session.execute(
            update(Mediator)
            .where(Mediator.id == mediator_id)
            .values(last_seen_at=clock.now() - timedelta(minutes=servers.presence_idle_minutes + 1))
        )
        session.commit()
    wait_for(lambda: live_chat(servers, chat.sender).ended_by == "absent")
    wait_for(lambda: [t for _, t in transcript(servers, chat.sender) if "a dû s'interrompre" in t])
    assert wait_for(lambda: [t for _, t in transcript(servers, chat.sender) if "n'a pu se libérer" in t])


def test_a_mediator_ends_without_handing_back_and_the_assistant_stays_quiet_until_spoken_to(servers, chat, mediators):
    claire, _ = mediators
    chat.say("je veux parler a un mediateur")
    request = live_chat(servers, chat.sender)
    claire.post(f"/direct/{request.id}/rejoindre")
    ended = claire.post(f"/dossiers/{request.dossier_id}/direct/terminer", {"rendre_la_main": "0"})
    assert "La transcription est dans le dossier" in Console.flash(ended)
    assert 'id="live-ended"' in ended.text and "terminé par le médiateur" in ended.text
    assert live_chat(servers, chat.sender).ended_by == "mediator"
    lines = wait_for(lambda: [t for _, t in transcript(servers, chat.sender) if "Claire a terminé l'échange" in t])
    assert lines and not any("autre question" in t for _, t in transcript(servers, chat.sender))
    with db.session(servers.database_url) as session:
        assert not conversations.is_paused(session, chat.sender)
    assert chat.texts(chat.say("j'ai une autre question sur mon site internet")).strip()


def test_the_person_leaves_the_wait_from_the_widget(servers, mediators):
    import requests

    from tests.support.visitor import Visitor

    visitor = Visitor(servers)
    try:
        token = visitor.start()
        end = f"http://127.0.0.1:{servers.web_port}/api/conversation/live/end"
        assert requests.post(end, json={"token": token}, timeout=10).status_code == 409  # nothing to end yet
        visitor.client.emit("user_uttered", {"message": "je voudrais parler a un mediateur"})
        while "va vous rejoindre" not in visitor.expect("bot_uttered")["text"]:
            pass  # the assistant introduces itself first
        assert requests.post(end, json={"token": "forged.token"}, timeout=10).status_code == 404
        assert requests.post(end, json={"token": token}, timeout=10).json() == {"ended": True}
        notice = visitor.expect("bot_uttered")
        assert notice == {"text": "Vous avez quitté l'attente.", "live": {"role": "notice", "state": "ended"}}
        assert "autre question" in visitor.expect("bot_uttered")["text"]
        conversation = token.split(".")[0]
        assert live_chat(servers, conversation).ended_by == "person"
        assert requests.post(end, json={"token": token}, timeout=10).status_code == 409  # already over
    finally:
        visitor.close()
