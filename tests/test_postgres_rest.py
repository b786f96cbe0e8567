"""The whole stack on PostgreSQL (DATABASE_URL): Rasa's tracker store and our dossiers in one database.

Needs PostgreSQL (see tests/databases.py): skipped with a message where it is missing, and
required in CI (.ci/run sets REQUIRE_POSTGRES=1).
"""
from __future__ import annotations

import uuid

import pytest

from bot import supervisor
from bot.cli import prepare_database
from bot.settings import Settings
from bot.store import db, queries
from tests.conftest import Chat, free_port
from tests.databases import fresh_database_url


@pytest.fixture(scope="module")
def pg_servers(model, tmp_path_factory):
    url, drop = fresh_database_url("postgresql", tmp_path_factory.mktemp("pg"))
    settings = Settings(
        bind_host="127.0.0.1", rasa_port=free_port(), action_port=free_port(),
        rasa_token="pg-" + uuid.uuid4().hex, database_url=url, var_dir=tmp_path_factory.mktemp("pgvar"),
    )
    prepare_database(settings)
    group = supervisor.start_servers(settings, model)
    yield settings
    group.stop()
    drop()


def test_appointment_path_on_postgresql(pg_servers):
    chat = Chat(pg_servers)
    chat.say("bonjour")
    chat.say("je voudrais vendre mes confitures en ligne")
    chat.say("oui")
    chat.say("non")  # no questions
    chat.say("pas vraiment")  # the answer did not help
    chat.say("oui")  # a human
    chat.say('/ask_human{"mode_contact": "rendez_vous"}')
    chat.say("oui")
    chat.say("Odile")
    replies = chat.say("odile.b@laposte.net")
    text = chat.texts(chat.say(chat.buttons(replies)[0]["payload"]))
    assert "C'est réservé" in text
    with db.session(pg_servers.database_url) as session:
        dossier = queries.get_or_create_dossier(session, chat.sender)
        data = queries.dossier_as_dict(dossier)
        transcript = queries.transcript(session, chat.sender)
    assert data["needs"][0]["intent"] == "nouveaux_services_digitaux"
    assert data["appointment"]["reference"] in text
    assert data["contact"]["email"] == "odile.b@laposte.net" and data["contact"]["consent_at"]
    assert transcript[0].text == "bonjour" and transcript[0].speaker == "personne"
    assert any("C'est réservé" in line.text for line in transcript)
