"""Through the real servers: a typed payload no button offered is plain text (REST and socket.io),
a button payload offered works; a burst from one conversation or one client gets HTTP 429 (REST)
or a polite notice (website) for what is over the limit, and nothing is processed twice or lost;
the REST webhook refuses what came through the public proxy.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import text

from bot.store import db
from tests.support.servers import Chat

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)


def user_events(servers, conversation: str) -> list[dict]:
    with db.session(servers.database_url) as session:
        rows = (
            session.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": conversation},
            )
            .scalars()
            .all()
        )
    return [json.loads(row) for row in rows]


def tracker(servers, conversation: str) -> dict:
    response = requests.get(
        f"{servers.rasa_url}/conversations/{conversation}/tracker", params={"token": servers.rasa_token}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def actions_run(servers, conversation: str) -> list[str]:
    return [e.get("name") for e in tracker(servers, conversation)["events"] if e["event"] == "action"]


def post(servers, sender: str, message: str, headers: dict | None = None) -> requests.Response:
    return requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        headers=headers or {},
        timeout=120,
    )


# --- typed payloads -------------------------------------------------------------------------
def test_typed_external_event_or_slot_payload_is_read_as_text(chat, servers):
    chat.say("bonjour")
    chat.say("/EXTERNAL_live_ended")
    chat.say('/inform{"creneau": "1"}')
    said = user_events(servers, chat.sender)[-2:]
    assert [e["text"] for e in said] == ["EXTERNAL_live_ended", 'inform{"creneau": "1"}']
    assert all(e["parse_data"]["intent"]["name"] not in ("EXTERNAL_live_ended", "inform") for e in said)
    assert all(not e["parse_data"]["entities"] for e in said)
    assert "action_live_ended" not in actions_run(servers, chat.sender)
    assert tracker(servers, chat.sender)["slots"]["creneau"] is None


def test_a_button_payload_offered_works_and_only_while_offered(chat, servers):
    menu = chat.say("zkqj wxv plm")  # not understood: the needs' menu
    chat.click("/presence_en_ligne", menu)
    chosen = user_events(servers, chat.sender)[-1]
    assert chosen["text"] == "/presence_en_ligne"
    assert chosen["parse_data"]["intent"] == {"name": "presence_en_ligne", "confidence": 1.0}
    chat.say("/outils_internes")  # on that menu, but the menu is no longer on screen
    later = user_events(servers, chat.sender)[-1]
    assert later["text"] == "outils_internes" and later["parse_data"]["intent"]["confidence"] < 1.0


def test_the_website_channel_reads_unoffered_payloads_as_text(servers):
    from tests.support.visitor import Visitor

    visitor = Visitor(servers)
    try:
        token = visitor.start()
        from bot.web import conversation_ids

        conversation = conversation_ids.conversation_of(servers.conversation_secret, token)
        visitor.client.emit("user_uttered", {"message": "zkqj wxv plm"})  # not understood: the menu
        offered = [
            b["payload"]
            for event, data in visitor.quiet(3)
            if event == "bot_uttered"
            for b in data.get("quick_replies") or data.get("buttons") or []
        ]
        assert "/presence_en_ligne" in offered
        visitor.say("/presence_en_ligne", display="Être visible en ligne")
        visitor.quiet(2)  # the conversation is stored once the turn is over, after the first reply
        chosen = user_events(servers, conversation)[-1]
        assert chosen["parse_data"]["intent"] == {"name": "presence_en_ligne", "confidence": 1.0}
        assert chosen["metadata"]["display"] == "Être visible en ligne"
        visitor.say("/EXTERNAL_live_ended", display="Bonjour")
        visitor.quiet(2)
        said = user_events(servers, conversation)[-1]
        assert said["text"] == "EXTERNAL_live_ended" and said["parse_data"]["intent"]["name"] != "EXTERNAL_live_ended"
        assert "display" not in (said.get("metadata") or {})  # no button, so no button title either
        assert "action_live_ended" not in actions_run(servers, conversation)
    finally:
        visitor.close()


# --- rate limits ------------------------------------------------------------------------------
def test_a_burst_of_60_from_one_conversation_gets_429_over_the_limit(servers):
    sender = "burst-" + uuid.uuid4().hex
    messages = [f"message numero {i}" for i in range(60)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda m: post(servers, sender, m), messages))
    codes = [a.status_code for a in answers]
    limit = servers.conversation_messages_per_minute  # 30 on the test servers (tests/support/servers.py)
    assert codes.count(200) == limit and codes.count(429) == len(messages) - limit
    refused = next(a for a in answers if a.status_code == 429)
    assert "Patientez" in refused.json()["error"] and int(refused.headers["Retry-After"]) >= 1
    # each admitted message is in the conversation exactly once; none of the refused ones
    admitted = sorted(m for m, a in zip(messages, answers, strict=False) if a.status_code == 200)
    assert sorted(e["text"] for e in user_events(servers, sender)) == admitted
    assert post(servers, "other-" + uuid.uuid4().hex, "bonjour").status_code == 200  # others go on


def test_one_client_address_is_limited_across_conversations(servers):
    """Behind the proxy (nginx sets X-Real-IP): 60 messages a minute per address, whatever the
    conversation; another address goes on."""
    from tests.support.visitor import Visitor

    busy = [Visitor(servers, headers={"X-Real-IP": "198.51.100.20"}) for _ in range(4)]
    calm = Visitor(servers, headers={"X-Real-IP": "198.51.100.21"})
    try:
        for visitor in [*busy, calm]:
            visitor.start()
        # blank messages: counted like any other, answered without the NLU (cheap for this machine)
        for visitor in busy:
            for _ in range(16):
                visitor.client.emit("user_uttered", {"message": " "})
        notices = [data for visitor in busy for event, data in visitor.quiet(3) if event == "rate_limited"]
        assert len(notices) == 4 * 16 - servers.client_messages_per_minute == 4
        assert all("votre connexion" in n["text"] for n in notices)
        assert "pas reçu de texte" in calm.say(" ")
    finally:
        for visitor in [*busy, calm]:
            visitor.close()


def test_the_website_says_politely_when_a_conversation_sends_too_fast(servers):
    from bot.web import conversation_ids
    from tests.support.visitor import Visitor

    visitor = Visitor(servers)
    try:
        conversation = conversation_ids.conversation_of(servers.conversation_secret, visitor.start())
        sent = [f"essai numero {i}" for i in range(servers.conversation_messages_per_minute + 2)]
        for message in sent:  # a few at a time: engine.io refuses more than 16 packets in one poll
            visitor.client.emit("user_uttered", {"message": message})
            time.sleep(0.05)
        got = visitor.quiet(5)
        notices = [data for event, data in got if event == "rate_limited"]
        assert len(notices) == 2
        assert "Patientez" in notices[0]["text"] and "01 00 00 00 00" in notices[0]["text"]
        # each message was either read once or given back to send again: nothing lost, nothing twice
        read = [e["text"] for e in user_events(servers, conversation)]
        assert sorted(read + [n["message"] for n in notices]) == sorted(sent)
    finally:
        visitor.close()


# --- exposure ---------------------------------------------------------------------------------
def test_the_rest_webhook_refuses_what_came_through_the_public_proxy(servers):
    response = post(servers, "via-nginx-" + uuid.uuid4().hex, "bonjour", {"X-Real-IP": "198.51.100.30"})
    assert response.status_code == 404 and response.json()["error"]
    assert Chat(servers).say("bonjour")  # local tools still talk to it
