"""An action call sent again for the same message (nginx retrying a message whose Rasa server or
action server died, make run-prod) is answered from Redis, not run twice: the real action server
with ACTION_REPLAY_REDIS_URL, a real database, the action that records a need in the dossier."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import text

from bot.ops import supervisor
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.store import db, migrate
from tests.support.services import REDIS_URL, require_redis


def action_call(sender: str, message_id: str, said: str, intent: str) -> dict:
    user = {
        "event": "user",
        "timestamp": 1.0,
        "text": said,
        "message_id": message_id,
        "parse_data": {"text": said, "intent": {"name": intent, "confidence": 0.93}, "entities": []},
    }
    return {
        "next_action": "action_reformulate_need",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": user["parse_data"],
            "paused": False,
            "events": [{"event": "action", "timestamp": 0.5, "name": "action_listen"}, user],
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def needs_of(database_url: str, sender: str) -> int:
    with db.session(database_url) as session:
        return session.execute(
            text("SELECT count(*) FROM dossier_needs n JOIN dossiers d ON d.id = n.dossier_id WHERE d.conversation_id = :s"),
            {"s": sender},
        ).scalar_one()


def test_the_same_action_call_for_the_same_message_runs_once(tmp_path):
    require_redis()
    database_url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(database_url)
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        rasa_token="t-" + uuid.uuid4().hex,
        conversation_secret="s-" + uuid.uuid4().hex,
        database_url=database_url,
        var_dir=tmp_path,
        allowed_origins=(),
        public_socket_url="",
    )
    group = supervisor.ServerGroup(settings=settings, log_dir=tmp_path / "logs")
    group.start("actions", supervisor.action_server_command(settings), extra_env={"ACTION_REPLAY_REDIS_URL": REDIS_URL})
    sender, message_id = "replay-" + uuid.uuid4().hex, uuid.uuid4().hex
    url = f"http://127.0.0.1:{settings.action_port}/webhook"
    params = {"token": settings.action_server_token}
    call = action_call(sender, message_id, "je voudrais faire mes demarches en ligne", "demarches_en_ligne")
    try:
        group.wait_until("actions", supervisor.action_server_ready, 120)
        first = requests.post(url, params=params, json=call, timeout=30)
        again = requests.post(url, params=params, json=call, timeout=30)  # the retry: same message
        assert first.status_code == again.status_code == 200, first.text[:300]
        assert "X-Action-Replayed" not in first.headers and again.headers.get("X-Action-Replayed") == "1"
        assert again.json() == first.json() and first.json()["events"]  # the same answer
        assert needs_of(database_url, sender) == 1  # the need recorded once

        other = action_call(sender, uuid.uuid4().hex, "je voudrais faire mes demarches en ligne", "demarches_en_ligne")
        assert requests.post(url, params=params, json=other, timeout=30).status_code == 200
        assert needs_of(database_url, sender) == 2  # another message runs the action as usual
    finally:
        group.stop()
