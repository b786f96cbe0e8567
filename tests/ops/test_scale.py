"""Rasa's scale-out model, for real: two Rasa servers sharing the PostgreSQL tracker store and a
Redis lock store (our atomic one, bot/rasa_extensions/lock_store.py), two action servers, the web app with two
workers, nginx in front.

Needs PostgreSQL, Redis and nginx: `make test` installs nginx; without PostgreSQL or Redis these
tests say how to start them (and fail instead under .ci/run, which requires both).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid

import pytest
import requests
from sqlalchemy import text

from bot.ops import production
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.store import db
from tests.support.databases import fresh_database_url
from tests.support.run_prod import LOAD_SCRIPT
from tests.support.services import REDIS_URL, require_redis

PUBLIC_TOKEN = "public-" + uuid.uuid4().hex  # the REST webhook is on the public port only with a token


@pytest.fixture(scope="module")
def prod(model, tmp_path_factory):
    from bot.ops.store_cli import prepare_database

    require_redis()
    var_dir = tmp_path_factory.mktemp("prod")
    url, drop = fresh_database_url("postgresql", var_dir)
    public_port = free_port()
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        rasa_token="t-" + uuid.uuid4().hex,
        conversation_secret="s-" + uuid.uuid4().hex,
        database_url=url,
        var_dir=var_dir,
        allowed_origins=(f"http://127.0.0.1:{public_port}",),
        public_socket_url="same-origin",
        session_secret="c-" + uuid.uuid4().hex,
        public_rest_token=PUBLIC_TOKEN,
        # scripted crowds from 127.0.0.1: without the rate limits (tested in
        # tests/unit/channels/test_public_chat_units.py and tests/e2e/test_public_chat_rest.py)
        client_messages_per_minute=0,
        client_handovers_per_hour=0,
        conversation_messages_per_minute=0,
    )
    layout = production.Layout(
        settings=settings,
        public_port=public_port,
        rasa_ports=(free_port(), free_port()),
        action_ports=(free_port(), free_port()),
        actions_port=free_port(),
        rasa_api_port=free_port(),
        web_workers=2,
        redis_url=REDIS_URL,
        run_dir=var_dir / "prod",
    )
    production.check_services(layout)
    prepare_database(settings)
    group = production.start(layout, model)
    yield layout, group
    group.stop()
    drop()


def said(layout, sender: str) -> list[tuple[str, str]]:
    with db.session(layout.settings.database_url) as session:
        rows = session.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :s AND type_name IN ('user', 'bot') ORDER BY id"),
            {"s": sender},
        ).all()
    return [(kind, json.loads(data).get("text") or "") for kind, data in rows]


def post(url: str, sender: str, message: str) -> list[dict]:
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=180,
        headers={"Authorization": f"Bearer {PUBLIC_TOKEN}"},
    )
    assert response.status_code == 200, response.text[:200]
    return response.json()


def test_bursts_to_both_servers_are_processed_once_each_and_never_interleaved(prod):
    layout, _ = prod
    servers = [f"http://127.0.0.1:{port}" for port in layout.rasa_ports]
    messages = [
        "bonjour",
        "c'est quoi un mail de phishing",
        "merci",
        "je suis un robot ?",
        "au revoir",
        "bonjour encore",
        "merci beaucoup",
        "qui etes vous",
    ]
    for _ in range(3):
        sender = "burst-" + uuid.uuid4().hex
        barrier, answers, errors = threading.Barrier(len(messages)), {}, []

        def send(index: int, message: str, barrier=barrier, answers=answers, sender=sender, errors=errors) -> None:
            try:
                barrier.wait()
                answers[message] = post(servers[index % 2], sender, message)  # alternate servers
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=send, args=(i, m)) for i, m in enumerate(messages)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == [] and all(answers[m] for m in messages), {m: answers.get(m) for m in messages if not answers.get(m)}
        events = said(layout, sender)
        user_texts = [t for kind, t in events if kind == "user"]
        assert sorted(user_texts) == sorted(messages)  # every message once: none lost, none twice
        # processed one after the other: each message's answers come before the next message
        for position, (kind, _) in enumerate(events):
            if kind == "user" and position + 1 < len(events):
                assert events[position + 1][0] == "bot", events


def test_a_mediator_message_reaches_the_person_whichever_server_produces_it(prod):
    """Live handover across servers: the person's socket is held by one Rasa server, the web app's
    call to Rasa's HTTP API may land on the other; socket.io's Redis queue carries the message."""
    import queue

    import socketio

    from bot.web.rasa_api import bot_event

    layout, _group = prod
    inbox: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    for event in ("session_confirm", "bot_uttered"):
        client.on(event, lambda data, event=event: inbox.put((event, data)))
    client.connect(layout.public_url, transports=["polling"], headers={"Origin": layout.public_url}, wait_timeout=20)

    def expect(wanted: str):
        while True:
            event, data = inbox.get(timeout=60)
            if event == wanted:
                return data

    try:
        client.emit("session_request", {"session_id": None})
        conversation = expect("session_confirm").split(".")[0]
        client.emit("user_uttered", {"message": "bonjour"})
        expect("bot_uttered")
        for port in layout.rasa_ports:  # each server in turn produces a message for that socket
            response = requests.post(
                f"http://127.0.0.1:{port}/conversations/{conversation}/tracker/events",
                params={"token": layout.settings.rasa_token, "output_channel": "latest", "execute_side_effects": "true"},
                json=[bot_event(f"Message via {port}", {"role": "mediator", "name": "Claire"})],
                timeout=30,
            )
            assert response.status_code == 200, response.text[:200]
            got = expect("bot_uttered")
            while "live" not in got:  # the rest of the assistant's greeting
                got = expect("bot_uttered")
            assert got == {"text": f"Message via {port}", "live": {"role": "mediator", "name": "Claire"}}
    finally:
        client.disconnect()


def test_a_message_retried_with_its_request_id_is_answered_from_the_tracker_not_run_again(prod):
    """What nginx does when a server dies after saving a turn but before answering: the same POST,
    same X-Request-ID, to the other server. It answers from the tracker; the message is there once."""
    layout, _ = prod
    sender, request_id = "retry-" + uuid.uuid4().hex, uuid.uuid4().hex
    first_server, other_server = (f"http://127.0.0.1:{port}" for port in layout.rasa_ports)
    post(first_server, sender, "bonjour")

    def send(server: str) -> list[dict]:
        response = requests.post(
            f"{server}/webhooks/rest/webhook",
            headers={"X-Request-ID": request_id},
            json={"sender": sender, "message": "c'est quoi un mail de phishing"},
            timeout=180,
        )
        assert response.status_code == 200, response.text[:200]
        return response.json()

    answers = send(first_server)
    assert answers and send(other_server) == answers
    user_texts = [t for kind, t in said(layout, sender) if kind == "user"]
    assert user_texts == ["bonjour", "c'est quoi un mail de phishing"]


def test_killing_one_rasa_server_during_load_loses_no_conversation(prod, model):
    layout, group = prod
    script = LOAD_SCRIPT
    people = ["load-" + uuid.uuid4().hex for _ in range(8)]
    answered, errors = [], []
    victim = group.processes["rasa-0"]
    kill_after = len(people) * len(script) // 3  # a third of the way through the load
    lock = threading.Lock()

    def converse(sender: str) -> None:
        for message in script:
            try:
                replies = post(layout.public_url, sender, message)  # through nginx
                with lock:
                    answered.append((sender, message, bool(replies)))
                    if len(answered) == kill_after:
                        os.killpg(victim.pid, signal.SIGKILL)
            except Exception as exc:
                errors.append(f"{sender} {message}: {exc!r}")

    threads = [threading.Thread(target=converse, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert errors == []
    assert len(answered) == len(people) * len(script) and all(ok for _, _, ok in answered)
    with db.session(layout.settings.database_url) as session:
        stored = session.execute(text("SELECT conversation_id FROM dossiers")).scalars().all()
    assert set(people) <= set(stored)  # every conversation's dossier
    for person in people:
        user_texts = [t for kind, t in said(layout, person) if kind == "user"]
        missing = [m for m in script if m not in user_texts]
        assert not missing, (person, missing, said(layout, person))  # every message reached the tracker
    assert victim.wait(timeout=10) is not None  # the killed server really was down
