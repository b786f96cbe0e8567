"""A dossier read back as a mediator reads it: the console's dossier page and `bot dossiers show`,
each as plain text (tests/e2e/test_dossier_synthesis.py, tests/e2e/test_situation_rest.py)."""

from __future__ import annotations

import html
import re

from bot.store import db
from bot.store.tables import Dossier
from tests.support.console_client import Console, make_account
from tests.support.servers import Chat
from tests.support.web_client import web_app


def plain(page: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def dossier_id(servers, chat: Chat) -> int:
    with db.session(servers.database_url) as session:
        return session.query(Dossier.id).filter_by(conversation_id=chat.sender).scalar()


def read_back(servers, chat: Chat, monkeypatch, capsys) -> tuple[str, str]:
    """(the console page's synthesis, `bot dossiers show`'s synthesis), as plain text."""
    from bot.ops import cli

    number = dossier_id(servers, chat)
    console = Console(web_app(servers))
    console.login(make_account(servers))
    page = plain(console.get(f"/dossiers/{number}").text)
    on_page = page[page.index("Synthèse") : page.index("Échange complet")]
    monkeypatch.setenv("DATABASE_URL", servers.database_url)
    assert cli.main(["dossiers", "show", str(number)]) == 0
    shown = capsys.readouterr().out
    in_cli = " ".join(shown[: shown.index("Transcript:")].replace("\u202f", " ").replace("\u00a0", " ").split())
    return on_page, in_cli
