"""Faults caused for real: the action server or the Rasa server is stopped in the middle of a
conversation. The person gets a polite French answer, and nothing that was said is lost.

These tests stop and restart processes, so they use their own servers (embedded SQLite), where
Rasa calls the action server through a proxy that can be made slow; the PostgreSQL cases share a
group of their own. A Rasa start costs half a minute under load, so these servers start as few
times as the faults need (docs/architecture.md, Tests).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from bot import clock
from bot.ops import supervisor
from bot.store import conversations, db, dossiers
from tests.support.action_proxy import ActionProxy
from tests.support.servers import Chat, always_open, servers_on_postgresql, settings_for_tests
from tests.support.visitor import Visitor


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from bot.ops.store_cli import prepare_database

    var_dir = tmp_path_factory.mktemp("faults")
    settings = settings_for_tests(f"sqlite:///{var_dir / 'faults.db'}", var_dir)
    prepare_database(settings)
    return settings


@pytest.fixture(scope="module")
def proxy(settings):
    """Between Rasa and the action server: a test switches its delay on for a slow action server,
    without a Rasa restart to point Rasa elsewhere."""
    action_proxy = ActionProxy(f"http://127.0.0.1:{settings.action_port}")
    yield action_proxy
    action_proxy.close()


@pytest.fixture(scope="module")
def group(settings, proxy, model):
    """One server group for the module, Rasa's action calls going through `proxy`. A test that kills
    a server starts it again with `group.restart`, which keeps its command and environment."""
    with always_open():  # also for the servers these tests restart
        servers = supervisor.start_servers(settings, model, rasa_env={"ACTION_ENDPOINT_URL": f"{proxy.url}/webhook"})
        yield servers
        servers.stop()


@pytest.fixture(scope="module")
def on_postgresql(model, tmp_path_factory):
    """Our own servers on a fresh PostgreSQL database and the switch that makes it refuse every
    connection, shared by the module's PostgreSQL cases (each in a conversation of its own)."""
    with servers_on_postgresql(model, tmp_path_factory.mktemp("faults-postgresql")) as settings_and_switch:
        yield settings_and_switch


def stop(group, name: str) -> None:
    process = group.processes[name]
    os.killpg(process.pid, signal.SIGKILL)  # a crash, not a clean shutdown
    process.wait()


def test_action_server_down_gets_a_polite_answer_and_the_conversation_goes_on(group):
    chat = Chat(group.settings)
    stop(group, "actions")
    text = chat.texts(chat.say("je voudrais que mes clients me trouvent sur internet"))
    assert "souci technique" in text and "Réessayez" in text
    visitor = Visitor(group.settings)
    visitor.start()
    assert "souci technique" in visitor.say("bonjour")  # the website channel says the same
    group.restart("actions")
    group.wait_until("actions", supervisor.action_server_ready, 120)
    assert "Bonjour" in visitor.say("bonjour")
    visitor.close()
    assert "Si je comprends bien" in chat.texts(chat.say("je voudrais que mes clients me trouvent sur internet"))
    chat.say("oui")
    with db.session(group.settings.database_url) as session:
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())
        said = [line.text for line in conversations.transcript(session, chat.sender) if line.speaker == "personne"]
    assert dossier["needs"][0]["intent"] == "presence_en_ligne" and dossier["needs"][0]["confirmed"] is True
    # the message sent while it was down was refused openly, not half-processed
    assert said.count("je voudrais que mes clients me trouvent sur internet") == 1


def test_an_action_server_killed_just_after_answering_gets_a_polite_answer_and_nothing_half_done(group):
    """Killed right after an answer, the action server is not probed before the next message (it
    answered less than a second ago: bot/channels/backend.py): that message's first action call
    fails, and the turn ends unsaved with the same polite answer (patches/action_failures.py),
    instead of Rasa going on without the action's events (an empty answer, a half-done turn)."""
    chat = Chat(group.settings)
    assert "Si je comprends bien" in chat.texts(chat.say("je voudrais que mes clients me trouvent sur internet"))
    log = group.log_dir / "rasa.log"
    before = log.read_text(errors="replace").count("ActionServerFailed")
    stop(group, "actions")
    text = chat.texts(chat.say("oui"))
    assert "souci technique" in text and "Réessayez" in text
    assert log.read_text(errors="replace").count("ActionServerFailed") > before  # the turn was ended, not probed
    group.restart("actions")
    group.wait_until("actions", supervisor.action_server_ready, 120)
    assert "questions courtes" in chat.texts(chat.say("oui"))  # the refused « oui », sent again, goes on
    with db.session(group.settings.database_url) as session:
        said = [line.text for line in conversations.transcript(session, chat.sender) if line.speaker == "personne"]
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())
    assert said.count("oui") == 1  # the failed turn stored nothing
    assert dossier["needs"][0]["confirmed"] is True


def test_postgresql_away_gets_a_polite_answer_and_nothing_is_lost(on_postgresql):
    """The whole database is refused (new and existing connections) in the middle of a conversation."""
    settings, database_answers = on_postgresql
    chat = Chat(settings)
    assert "Si je comprends bien" in chat.texts(chat.say("je voudrais que mes clients me trouvent sur internet"))
    database_answers(False)  # the database goes away
    try:
        text = chat.texts(chat.say("oui"))
    finally:
        database_answers(True)  # and comes back (also for the module's next case)
    assert "souci technique" in text
    text = chat.texts(chat.say("oui"))
    assert "questions courtes" in text  # the conversation goes on from where it was
    with db.session(settings.database_url) as session:
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())
    assert dossier["needs"][0]["intent"] == "presence_en_ligne" and dossier["needs"][0]["confirmed"] is True


def book_until_the_slots(chat: Chat) -> list[dict]:
    """Ask for an appointment and give consent, name and phone: the replies that offer the slots."""
    chat.ask_human("rendez_vous")  # the choice between appointment, call back, contacts
    chat.say("oui")
    chat.say("Sandrine")
    return chat.say("06 12 34 56 78")


@contextlib.contextmanager
def slots_table_broken(database_url: str):
    """The appointment slots cannot be read or written (table renamed away: a failed migration, a
    wrong grant) while the rest of the database answers, so messages reach the actions."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, future=True)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE slots RENAME TO slots_away"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE slots_away RENAME TO slots"))
        engine.dispose()


def test_a_database_error_while_choosing_a_slot_gets_a_polite_answer_and_a_call_back(on_postgresql):
    """The slots fail between showing them and the person's choice, then before they can be shown:
    never a Python error, always the honest answer and the next step (a call back, stored)."""
    settings, _ = on_postgresql
    chosen = Chat(settings)
    replies = book_until_the_slots(chosen)
    assert "créneaux libres" in chosen.texts(replies)
    unseen = Chat(settings)
    unseen.ask_human("rendez_vous")
    unseen.say("oui")
    unseen.say("Karim")
    with slots_table_broken(settings.database_url):
        text = chosen.texts(chosen.say(chosen.buttons(replies)[0]["payload"]))
        assert "souci technique" in text and "rappellera" in text  # not booked: a call back is kept
        text = unseen.texts(unseen.say("06 98 76 54 32"))  # the slots cannot be read
        assert "souci technique" in text and "créneaux" in text and "rappellera" in text
    with db.session(settings.database_url) as session:
        for person, phone in ((chosen, "+33612345678"), (unseen, "+33698765432")):
            dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, person.sender), now=clock.now())
            assert dossier["contact"]["phone"] == phone and dossier["callback"] is not None, dossier
            assert dossier["appointment"] is None


def test_a_slow_action_server_gets_a_please_wait_then_the_answer(group, proxy):
    from bot.channels.replies import STILL_WORKING
    from bot.channels.website import SLOW_AFTER_SECONDS

    proxy.delay = SLOW_AFTER_SECONDS + 3  # every action call held that long
    try:
        visitor = Visitor(group.settings)
        visitor.start()
        first = visitor.say("je voudrais que mes clients me trouvent sur internet")
        assert first == STILL_WORKING  # not silence while the action server is slow
        answer = [visitor.expect("bot_uttered", timeout=60)["text"] for _ in range(2)]  # then the answer
        assert answer[0].startswith("Bonjour") and "Si je comprends bien" in answer[1]
        visitor.close()
    finally:
        proxy.delay = 0


@contextlib.contextmanager
def live_exchange(group, mediator_name: str):
    """A person asks for a mediator, who joins: (console, chat, live chat). Nobody on duty after."""
    from bot.store.tables import LiveChat
    from tests.support.console_client import Console, make_account, nobody_on_duty

    console = Console(group.settings)
    console.login(make_account(group.settings, name=mediator_name))
    on_duty = console.post("/presence", {"disponible": "1"})
    assert on_duty.status_code == 200 and "Vous êtes disponible" in on_duty.text, (on_duty.status_code, on_duty.url)
    chat = Chat(group.settings)
    try:
        answer = chat.texts(chat.say("je voudrais parler a quelqu'un"))
        if "va vous rejoindre" not in answer:  # say what the action server saw, to tell a flake from a bug
            from bot.store.tables import Mediator

            with db.session(group.settings.database_url) as session:
                seen = [(m.name, m.available, m.active, m.last_seen_at) for m in session.query(Mediator)]
            pytest.fail(f"no live handover: {answer!r}; mediators: {seen!r}")
        with db.session(group.settings.database_url) as session:
            request = session.query(LiveChat).filter_by(conversation_id=chat.sender).one()
        console.post(f"/direct/{request.id}/rejoindre")
        yield console, chat, request
    finally:
        nobody_on_duty(group.settings)


def test_a_rasa_restart_resumes_each_conversation_where_it_was(group):
    """Rasa is killed and started again (once for two cases: a start costs half a minute):
    - a conversation in the middle of the questions goes on with the next one;
    - a live exchange that the mediator ended while Rasa was away is resumed by the web app's
      watcher: the person is not left in a paused conversation."""
    chat = Chat(group.settings)
    assert "questions courtes" in chat.texts(chat.from_menu("/presence_en_ligne"))  # chosen on the menu: confirmed
    assert "nom de votre entreprise" in chat.texts(chat.say("oui"))  # in the middle of the questions
    with live_exchange(group, "Claire Dupont") as (console, live, request):
        stop(group, "rasa")
        ended = console.post(f"/dossiers/{request.dossier_id}/direct/terminer", {"rendre_la_main": "1"})
        assert ended.status_code == 200  # the console does not fail; the exchange is over for the mediator
        group.restart("rasa")
        group.wait_until("rasa", supervisor.rasa_server_ready, 240)
        assert "Quel est votre métier" in chat.texts(chat.say("Boulangerie Martin"))  # the next question
        with db.session(group.settings.database_url) as session:
            assert dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())["needs"]
        deadline = time.monotonic() + 60  # the web app's watcher resumes the conversation

        def said() -> list[str]:
            with db.session(group.settings.database_url) as session:  # a fresh snapshot each time
                return [line.text for line in conversations.transcript(session, live.sender)]

        while not any("autre question" in text for text in said()) and time.monotonic() < deadline:
            time.sleep(1)
        assert any("laisse la main à l'assistant" in text for text in said()), said()
        assert any("autre question" in text for text in said()), said()
        with db.session(group.settings.database_url) as session:
            assert not conversations.is_paused(session, live.sender)
        assert live.texts(live.say("merci")).strip()  # the assistant answers again


def test_a_live_exchange_given_back_while_the_action_server_is_down_gets_its_follow_up(group):
    """Rasa gives the conversation back but cannot run the assistant's follow-up (action server
    away): once the action server is back, the web app's watcher has the assistant say it, once."""
    with live_exchange(group, "Inès Martin") as (console, chat, request):
        stop(group, "actions")
        ended = console.post(f"/dossiers/{request.dossier_id}/direct/terminer", {"rendre_la_main": "1"})
        assert ended.status_code == 200
        with db.session(group.settings.database_url) as session:
            assert conversations.after_live_part(session, chat.sender) == "silent"  # resumed, follow-up lost
        group.restart("actions")
        group.wait_until("actions", supervisor.action_server_ready, 120)

        def follow_ups() -> int:
            with db.session(group.settings.database_url) as session:
                return sum("autre question" in line.text for line in conversations.transcript(session, chat.sender))

        deadline = time.monotonic() + 90  # repaired 30 s after the end, by the watcher (every 2 s)
        while not follow_ups() and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # a few more watcher rounds: the follow-up is not repeated
        assert follow_ups() == 1
        with db.session(group.settings.database_url) as session:
            assert conversations.after_live_part(session, chat.sender) is None
        assert chat.texts(chat.say("merci")).strip()  # the assistant answers again
