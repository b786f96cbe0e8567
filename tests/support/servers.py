"""Settings for servers on free ports, the three servers with a local SMTP server, and `Chat`: one
person talking to the assistant through the REST webhook."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import text

from bot.ops import supervisor
from bot.ops.supervisor import free_port
from bot.settings import Settings
from bot.store import db

TEST_CONVERSATION_LIMIT = 30


def settings_for_tests(database_url: str, var_dir, **overrides) -> Settings:
    """Servers on free ports of loopback, fresh secrets; `overrides` for any other setting."""
    web_port = free_port()
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=web_port,
        rasa_token="test-token-" + uuid.uuid4().hex,
        conversation_secret="test-secret-" + uuid.uuid4().hex,
        database_url=database_url,
        var_dir=var_dir,
        allowed_origins=(f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"),
        public_socket_url="",
        session_secret="test-session-" + uuid.uuid4().hex,
        claim_lease_minutes=30,
        # 30 messages a minute per conversation (20 in production, bot/settings.py): a whole
        # accompaniment typed at machine speed (24 messages) does not wait out the minute; the
        # tests of the limit read it from the settings
        conversation_messages_per_minute=TEST_CONVERSATION_LIMIT,
    )
    return dataclasses.replace(settings, **overrides)


@contextlib.contextmanager
def servers_with_mail(model: Path, var_dir: Path):
    """The three servers on an embedded database with demo data, sending mail to a local SMTP
    server started here: yields (server group, SMTP server)."""
    from bot.ops.store_cli import prepare_database
    from tests.support.smtp_server import SmtpServer

    smtp = SmtpServer().start()
    settings = settings_for_tests(f"sqlite:///{var_dir / 'store.db'}", var_dir)
    prepare_database(settings)
    previous = os.environ.get("SMTP_URL")
    os.environ["SMTP_URL"] = smtp.url  # the servers' environment inherits it
    try:
        with always_open():
            group = supervisor.start_servers(settings, model)
            try:
                yield group, smtp
            finally:
                group.stop()
    finally:
        if previous is None:
            os.environ.pop("SMTP_URL", None)
        else:
            os.environ["SMTP_URL"] = previous
        smtp.stop()


@contextlib.contextmanager
def always_open():
    """Servers started inside see the service open around the clock (OPENING_HOURS)."""
    from tests.support.actions import ALWAYS_OPEN

    previous = os.environ.get("OPENING_HOURS")
    os.environ["OPENING_HOURS"] = ALWAYS_OPEN
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OPENING_HOURS")
        else:
            os.environ["OPENING_HOURS"] = previous


class Chat:
    """One person talking to the assistant through the REST webhook."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sender = "test-" + uuid.uuid4().hex

    def say(self, text: str) -> list[dict]:
        """Send a message; over the per-conversation rate limit (30 a minute here), wait as told
        (Retry-After) and send it again, as a person would: long conversations type that fast."""
        for _ in range(2):
            response = requests.post(
                f"{self.settings.rasa_url}/webhooks/rest/webhook",
                json={"sender": self.sender, "message": text},
                timeout=60,
            )
            if response.status_code != 429 or "Retry-After" not in response.headers:
                break
            time.sleep(min(61, int(response.headers["Retry-After"])))
        response.raise_for_status()
        return response.json()

    def click(self, payload: str, offered: list[dict]) -> list[dict]:
        """Click a button of the assistant's last replies (a payload no button offered is plain text)."""
        assert payload in [b["payload"] for b in self.buttons(offered)], (payload, offered)
        return self.say(payload)

    def from_menu(self, payload: str) -> list[dict]:
        """Choose a need on the menu the assistant offers when it did not understand."""
        return self.click(payload, self.say("zkqj wxv plm"))

    def ask_human(self, mode: str) -> list[dict]:
        """Ask for a person, then choose « rendez_vous », « rappel » or « coordonnees »."""
        return self.click(f'/ask_human{{"mode_contact": "{mode}"}}', self.say("je veux parler a quelqu'un svp"))

    @staticmethod
    def texts(replies: list[dict]) -> str:
        return "\n".join(r.get("text", "") for r in replies)

    @staticmethod
    def buttons(replies: list[dict]) -> list[dict]:
        return [b for r in replies for b in r.get("buttons", [])]


def age(servers, conversation: str, minutes: float) -> None:
    """Move the conversation's events `minutes` into the past: as if the clock had moved on."""
    with db.session(servers.database_url) as session:
        session.execute(
            text("UPDATE events SET timestamp = timestamp - :s WHERE sender_id = :c"), {"s": minutes * 60, "c": conversation}
        )
        session.commit()


@contextlib.contextmanager
def servers_on_postgresql(model, tmp_path, **settings_overrides):
    """Our own servers on a fresh PostgreSQL database, and a switch that makes the database refuse
    every connection (new and existing) or accept them again."""
    import sqlalchemy as sa

    from bot.ops.store_cli import prepare_database
    from tests.support.databases import POSTGRES_ADMIN_URL, fresh_database_url

    url, drop = fresh_database_url("postgresql", tmp_path)
    name = sa.engine.make_url(url).database
    settings = settings_for_tests(url, tmp_path, **settings_overrides)
    prepare_database(settings)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")

    def database_answers(answers: bool) -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(answers).lower()}'))
            if not answers:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

    with always_open():
        group = supervisor.start_servers(settings, model)
    try:
        yield settings, database_answers
    finally:
        database_answers(True)
        group.stop()
        admin.dispose()
        db.engine_for(url).dispose()
        drop()


def offline_settings(**changes) -> Settings:
    """Settings for in-process checks: no server behind the ports, an in-memory database."""
    base = Settings(
        bind_host="127.0.0.1",
        rasa_port=1,
        action_port=2,
        web_port=3,
        rasa_token="t",
        conversation_secret="s",
        database_url="sqlite://",
        var_dir=None,
        allowed_origins=(),
        public_socket_url="",
    )
    return dataclasses.replace(base, **changes)
