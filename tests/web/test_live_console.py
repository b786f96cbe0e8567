"""The live handover's web routes in-process (Starlette's TestClient, SQLite and PostgreSQL), with
a stand-in for Rasa's HTTP API that records what the web app asks of it: presence, the waiting
list, joining, the live view, messages, the end (by the mediator, by the person). The same story
through the real Rasa server is tests/e2e/test_live_handover.py."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.store import db, dossiers, live, scheduling
from bot.store.tables import LiveChat
from bot.web import conversation_ids
from bot.web import live as live_web
from bot.web.app import create_app
from bot.web.rasa_api import LISTEN, RESUME
from tests.support import rasa_events
from tests.support.clock import AT
from tests.support.console_client import Console, make_account
from tests.support.live import FakeRasa, waiting_person
from tests.support.web_client import WebApp, web_app

JSON = {"Accept": "application/json"}


@pytest.fixture
def site(web, monkeypatch):
    """The web app of `web`, built again with FakeRasa in its live relay."""
    monkeypatch.setattr(live_web, "RasaClient", FakeRasa)
    monkeypatch.setattr(FakeRasa, "calls", [])
    monkeypatch.setattr(FakeRasa, "away", False)
    return web_app(web.settings)


def test_presence_waiting_list_join_messages_and_hand_back(site):
    claire, karim = Console(site), Console(site)
    claire.login(make_account(site, name="Claire Dupont"))
    karim.login(make_account(site, name="Karim Benali"))
    assert "disponible pour les échanges" in Console.flash(claire.post("/presence", {"disponible": "1"}))
    state = claire.get("/direct/etat.json?actif=1")
    assert state.headers["cache-control"] == "no-store" and state.json()["available"] is True
    assert karim.get("/direct/etat.json").json()["available"] is False
    # only a console path is a place to go back to
    assert str(karim.post("/presence", {"disponible": "0", "retour": "https://ailleurs.example"}).url).endswith(
        "/mediateurs/file"
    )

    token, chat = waiting_person(site)
    state = claire.get("/direct/etat.json").json()
    assert [(w["chat"], w["dossier"], w["need"]) for w in state["waiting"]] == [
        (chat.id, chat.dossier_id, "Être plus visible en ligne")
    ]
    assert state["requests"] == []  # a live request is in the waiting list, not among the new requests
    with db.session(site.database_url) as session:
        scheduling.request_callback(session, chat.conversation_id, "le matin", None, now=AT)
        session.commit()
    [request] = claire.get("/direct/etat.json").json()["requests"]
    assert (request["kind"], request["dossier"], request["need"]) == ("rappel", chat.dossier_id, "Être plus visible en ligne")
    assert claire.get(f"/dossiers/{chat.dossier_id}/direct.json").json()["state"] == "waiting"
    assert claire.get(f"/dossiers/{chat.dossier_id}/direct.json?apres=x").status_code == 400
    assert claire.get("/dossiers/999999/direct.json").status_code == 404

    claire.get(f"/dossiers/{chat.dossier_id}")
    joined = claire.post(f"/direct/{chat.id}/rejoindre")
    assert "Vous avez rejoint la personne" in Console.flash(joined) and str(joined.url).endswith(
        f"/dossiers/{chat.dossier_id}#direct"
    )
    [(call, conversation, events)] = FakeRasa.calls
    assert call == "append" and conversation == chat.conversation_id
    assert events[0]["text"] == live_web.NOTICES["joined"].format(name="Claire")
    karim.get(f"/dossiers/{chat.dossier_id}")
    assert "déjà rejoint" in Console.flash(karim.post(f"/direct/{chat.id}/rejoindre"))
    view = claire.get(f"/dossiers/{chat.dossier_id}/direct.json").json()
    assert (view["state"], view["mediator"], view["mine"]) == ("active", "Claire Dupont", True)
    assert karim.get(f"/dossiers/{chat.dossier_id}/direct.json").json()["mine"] is False

    message = f"/dossiers/{chat.dossier_id}/direct/message"
    sent = claire.post(message, {"message": "Bonjour, je suis Claire."}, headers=JSON)
    assert sent.status_code == 200 and sent.json() == {"sent": True}
    assert FakeRasa.calls[-1][2][0]["data"]["custom"]["live"] == {"role": "mediator", "name": "Claire"}
    assert claire.post(message, {"message": "  \x00 "}, headers=JSON).status_code == 400
    too_long = claire.post(message, {"message": "a" * (live_web.MAX_LIVE_MESSAGE_CHARS + 1)}, headers=JSON)
    assert too_long.status_code == 400 and "2000 caractères" in too_long.json()["error"]
    refused = karim.post(message, {"message": "je m'en mêle"}, headers=JSON)
    assert refused.status_code == 403 and "Seule la personne qui a rejoint" in refused.json()["error"]
    assert "Seule la personne" in Console.flash(karim.post(message, {"message": "sans script"}))  # the form: a flash
    FakeRasa.away = True
    unsent = claire.post(message, {"message": "Vous me lisez ?"}, headers=JSON)
    assert unsent.status_code == 502 and "l'assistant ne répond pas" in unsent.json()["error"]
    FakeRasa.away = False

    done = claire.post(f"/dossiers/{chat.dossier_id}/direct/terminer", {"rendre_la_main": "1"})
    assert "l'assistant reprend la conversation" in Console.flash(done) and "rendu à l'assistant" in html.unescape(done.text)
    assert FakeRasa.calls[-2][2][-2:] == [RESUME, LISTEN] and FakeRasa.calls[-1][1:] == (
        chat.conversation_id,
        "EXTERNAL_live_ended",
    )
    again = claire.post(f"/dossiers/{chat.dossier_id}/direct/terminer", {"rendre_la_main": "1"})
    assert "pas d'échange en direct en cours" in Console.flash(again)
    assert site.client.post("/api/conversation/live/end", json={"token": token}).status_code == 409
    with db.session(site.database_url) as session:
        assert session.get(LiveChat, chat.id).ended_by == "handback"


def test_the_waiting_list_and_the_end_of_a_chat_follow_the_app_clock(web, monkeypatch):
    """The poll, a join and the live relay's end all read the clock given to create_app (now_of),
    never the real one: a person who asked at AT has waited 90 seconds when that clock says AT + 90 s."""
    monkeypatch.setattr(live_web, "RasaClient", FakeRasa)
    monkeypatch.setattr(FakeRasa, "calls", [])
    monkeypatch.setattr(FakeRasa, "away", False)
    later = AT + timedelta(seconds=90)
    app = create_app(web.settings, now=lambda: later)
    site = WebApp(web.settings, app, TestClient(app))
    _, conversation = conversation_ids.new_conversation(site.conversation_secret)
    with db.session(site.database_url) as session:
        rasa_events.create_events_table(session)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=AT)
        chat_id = live.request(session, conversation, now=AT).id
        session.commit()
    claire = Console(site)
    claire.login(make_account(site, name="Claire Dupont"))
    [waiting] = claire.get("/direct/etat.json").json()["waiting"]
    assert (waiting["chat"], waiting["seconds"]) == (chat_id, 90)
    dossier_id = waiting["dossier"]
    claire.get(f"/dossiers/{dossier_id}")
    assert "Vous avez rejoint la personne" in Console.flash(claire.post(f"/direct/{chat_id}/rejoindre"))
    claire.post(f"/dossiers/{dossier_id}/direct/terminer", {"rendre_la_main": "1"})
    with db.session(site.database_url) as session:
        chat = session.get(LiveChat, chat_id)
        assert (chat.ended_by, chat.ended_at) == ("handback", later)


def test_a_join_rasa_cannot_announce_still_holds_and_the_person_can_leave(site):
    token, chat = waiting_person(site)
    claire = Console(site)
    claire.login(make_account(site, name="Claire Dupont"))
    claire.get(f"/dossiers/{chat.dossier_id}")
    FakeRasa.away = True
    assert "n'a pas pu la prévenir" in Console.flash(claire.post(f"/direct/{chat.id}/rejoindre"))
    FakeRasa.away = False
    assert site.client.post("/api/conversation/live/end", json={"token": token}).json() == {"ended": True}
    with db.session(site.database_url) as session:
        ended = session.execute(select(LiveChat).where(LiveChat.id == chat.id)).scalar_one()
        assert ended.ended_by == "person"
    notice, resume, listen = FakeRasa.calls[-2][2]  # the person was active (joined): no « waiting » notice
    assert notice["text"] == live_web.NOTICES["person"] and (resume, listen) == (RESUME, LISTEN)
    assert FakeRasa.calls[-1][2] == "EXTERNAL_live_ended"
    page = html.unescape(claire.get(f"/dossiers/{chat.dossier_id}").text)
    assert "la personne a quitté l'échange" in page
