"""Bad input, generated: more than 1 000 inputs thrown at the running servers (REST webhook,
socket.io channel) and at the web app in-process (widget API, console login form:
tests/web/test_bad_input_web.py). Every answer is a French reply or a 4xx with a reason — never a
5xx, never a crash — and every stored dossier still reads back whole.
Typed payloads (`/intent{…}` no button offered) never steer the assistant; bursts get 429 for
what is over the limit and nothing is processed twice.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st

from bot import clock
from bot.store import db, dossiers
from tests.support.bad_input import LONG, budget, json_values, texts

# the servers' tests on SQLite only (each input goes through Rasa)
on_sqlite = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)


rest_bodies = st.one_of(
    st.builds(lambda m: json.dumps({"sender": "hyp-" + uuid.uuid4().hex, "message": m}).encode(), texts),
    st.builds(lambda v: json.dumps(v).encode(), json_values),  # wrong types, unknown fields
    st.builds(
        lambda s, m, extra: json.dumps({"sender": s, "message": m, **extra}).encode(),
        json_values,
        json_values,
        st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    ),
    st.binary(max_size=200),  # not JSON at all
)


def assert_polite(response) -> None:
    assert response.status_code < 500, response.text[:200]
    if response.status_code >= 400:
        assert response.json()["error"]  # a reason, in French
    else:
        replies = response.json()
        assert isinstance(replies, list)
        assert all(isinstance(r.get("text", ""), str) for r in replies)


@on_sqlite
@given(body=rest_bodies)
@budget(600)
@example(body=b"{not json")
@example(body=json.dumps({"sender": "hyp-long", "message": LONG}).encode())
@example(body=json.dumps({"sender": "x" * 300, "message": "bonjour"}).encode())
@example(body=b"\x00\xff\xfe")
def test_rest_webhook_never_fails(servers, body):
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert_polite(response)


@on_sqlite
@given(message=st.one_of(texts, json_values))
@budget(80)
def test_socketio_channel_never_fails(servers, message):
    from tests.support.visitor import Visitor

    visitor = Visitor(servers)
    try:
        visitor.start()
        payload = {"message": message} if not isinstance(message, dict) else message
        visitor.client.emit("user_uttered", payload)
        reply = visitor.expect("bot_uttered", timeout=60)
        assert isinstance(reply.get("text"), str) and reply["text"]
    finally:
        visitor.close()


def _domain_intents() -> list[str]:
    import yaml

    from bot import paths

    domain = yaml.safe_load((paths.ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]


# what a person (or a script) could type to steer the assistant: any intent of the domain, with
# or without entities, confidences, spaces, several slashes
typed_payloads = st.builds(
    lambda slashes, intent, confidence, entities: "/" * slashes + intent + confidence + entities,
    st.integers(1, 2),
    st.sampled_from(_domain_intents()),
    st.sampled_from(["", "@1.0", "@0.99"]),
    st.one_of(
        st.just(""),
        st.builds(
            json.dumps,
            st.dictionaries(
                st.sampled_from(["creneau", "mode_contact", "besoin", "contact_coordonnees"]),
                st.text(max_size=10),
                min_size=1,
                max_size=2,
            ),
        ),
    ),
)


@on_sqlite
@given(typed=typed_payloads)
@budget(60)
@example(typed="/EXTERNAL_live_ended")
@example(typed='/inform{"creneau": "1"}')
@example(typed='/ask_human{"mode_contact": "rappel"}')
def test_typed_payloads_never_steer_the_assistant(servers, typed):
    """No button offered them: Rasa reads them as text (no intent at confidence 1, no entity of theirs)."""
    sender = "typed-" + uuid.uuid4().hex
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": typed}, timeout=60)
    assert_polite(response)
    with db.session(servers.database_url) as session:
        from sqlalchemy import text

        rows = (
            session.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender})
            .scalars()
            .all()
        )
    said = json.loads(rows[-1])
    assert not said["text"].startswith("/")
    assert said["parse_data"]["intent"].get("confidence", 0) < 1.0 or said["parse_data"]["intent"]["name"] not in typed
    assert not any(e.get("extractor") == "RegexMessageHandler" for e in said["parse_data"]["entities"])


@on_sqlite
def test_bursts_get_429_and_nothing_is_processed_twice(servers):
    """Three conversations each send 10 messages more than their limit at once: as many as the limit
    allows are read, once each; the rest get 429."""
    from concurrent.futures import ThreadPoolExecutor

    senders = ["burst-" + uuid.uuid4().hex for _ in range(3)]
    limit = servers.conversation_messages_per_minute  # 30 on the test servers (tests/support/servers.py)
    jobs = [(s, f"essai {i}") for s in senders for i in range(limit + 10)]

    def send(job):
        sender, message = job
        return requests.post(
            f"{servers.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=120
        )

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(send, jobs))
    for answer in answers:
        assert_polite(answer)
    with db.session(servers.database_url) as session:
        from sqlalchemy import text

        for sender in senders:
            codes = [a.status_code for (s, _), a in zip(jobs, answers, strict=False) if s == sender]
            assert codes.count(200) == limit and codes.count(429) == 10
            read = (
                session.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender})
                .scalars()
                .all()
            )
            admitted = sorted(m for (s, m), a in zip(jobs, answers, strict=False) if s == sender and a.status_code == 200)
            assert sorted(json.loads(r)["text"] for r in read) == admitted


@on_sqlite
def test_every_dossier_still_reads_back_whole(servers):
    """Its own conversation, whatever ran before: a need typed with markup, control characters, a
    right-to-left mark and a fake payload around it, then hostile text as the person's name. Its
    dossier and every other one stored read back whole, as JSON that loads to the same data."""
    from tests.support.servers import Chat

    chat = Chat(servers)
    chat.say('je voudrais que mes clients me trouvent sur internet <script>alert("x")</script> \u202e\x07 {"creneau": "1"}')
    chat.say("oui")
    chat.say("Zoë <b>\u0000\u202e</b> ' OR 1=1 --")
    with db.session(servers.database_url) as session:
        read_back = {d.conversation_id: dossiers.dossier_as_dict(d, now=clock.now()) for d in dossiers.list_dossiers(session)}
    assert chat.sender in read_back, "the conversation left no dossier"
    mine = read_back[chat.sender]
    assert [n["intent"] for n in mine["needs"]] == ["presence_en_ligne"], mine["needs"]
    for conversation_id, dossier in read_back.items():
        assert json.loads(json.dumps(dossier, ensure_ascii=False)) == dossier, conversation_id
        assert dossier["conversation_id"] == conversation_id and dossier["status"], dossier
