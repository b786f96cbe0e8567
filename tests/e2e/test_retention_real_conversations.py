"""Retention on real conversations: typed through the running servers, then `bot purge` run with the
clock 400 days ahead (tests/unit/store/test_retention.py checks the purge's rules on a database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import clock
from bot.store import conversations, db
from bot.store.tables import Dossier
from tests.support.rasa_events import count_events


def bot_purge_days_ahead(servers, days: int, *arguments: str) -> str:
    """`bot purge` as the team runs it, on the servers' database, with the clock `days` ahead
    (Debian's libfaketime moves the whole process's clock)."""
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    from bot import paths

    if shutil.which("faketime") is None:
        message = "needs Debian's faketime to move the clock (apt-get install faketime; make test installs it as root)"
        if os.environ.get("REQUIRE_FAKETIME") == "1":
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "DATABASE_URL": servers.database_url, "BOT_VAR_DIR": str(servers.var_dir), "TZ": "UTC"}
    for name in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED"):  # this process may run under libfaketime itself
        env.pop(name, None)
    # an absolute start time, from this process's own clock (itself a year ahead under `make test-next-year`)
    moment = (clock.now() + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
    done = subprocess.run(
        ["faketime", moment, sys.executable, "-m", "bot.ops.cli", "purge", *arguments],
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_real_conversations_leave_no_word_of_the_person_400_days_later(servers):
    """Typed conversations through the running servers: one the assistant handles alone, one
    call back with contact details, one that never got a dossier. 400 days later, `bot purge`."""
    from tests.support.servers import Chat

    alone = Chat(servers)
    alone.say("bonjour je suis Jeanne de la boulangerie Martin")
    alone.say("je voudrais que mes clients me trouvent sur internet")
    alone.say("oui")
    callback = Chat(servers)
    callback.say("je voudrais que quelqu'un me rappelle pour la facture electronique")
    callback.say('/ask_human{"mode_contact": "rappel"}')  # the choice between appointment, call back, contacts
    callback.say("oui")
    callback.say("Paul Martin")
    callback.say("paul.martin@orange.fr")
    callback.say("le matin")
    callback.say("pas de date")
    hello = Chat(servers)
    hello.say("bonjour")
    people = {"alone": alone.sender, "callback": callback.sender, "hello": hello.sender}
    with db.session(servers.database_url) as session:
        assert all(count_events(session, sender) > 0 for sender in people.values())
        dossier_ids = {
            name: d.id
            for name, sender in people.items()
            if (d := session.execute(select(Dossier).where(Dossier.conversation_id == sender)).scalar())
        }
        assert session.get(Dossier, dossier_ids["callback"]).contact_email == "paul.martin@orange.fr"
    assert "alone" in dossier_ids and "hello" not in dossier_ids

    assert f"would purge {alone.sender}" not in bot_purge_days_ahead(servers, 30, "--dry-run")  # too early
    listed = bot_purge_days_ahead(servers, 400, "--dry-run")
    for sender in people.values():
        assert f"would purge {sender}" in listed
    assert f"would purge {hello.sender} (no dossier)" in listed
    with db.session(servers.database_url) as session:
        assert all(count_events(session, sender) > 0 for sender in people.values())  # a dry run keeps all

    bot_purge_days_ahead(servers, 400)
    with db.session(servers.database_url) as session:
        for sender in people.values():
            assert count_events(session, sender) == 0 and conversations.transcript(session, sender) == []
        for dossier_id in dossier_ids.values():
            dossier = session.get(Dossier, dossier_id)
            assert dossier.anonymised_at is not None
            assert (dossier.contact_name, dossier.contact_email, dossier.contact_phone) == (None, None, None)
            assert all(c.preferred_moment is None for c in dossier.callbacks)
        assert [n.intent for n in session.get(Dossier, dossier_ids["alone"]).needs] == ["presence_en_ligne"]  # figures stay
        assert session.get(Dossier, dossier_ids["callback"]).callbacks  # the request itself is still counted
