"""A mediator using the console over HTTP, against the real web app (forms with their CSRF token)."""

from __future__ import annotations

import html
import re
import uuid

import requests

from bot.store import accounts, db

PASSWORD = "un mot de passe solide"
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')
FLASH = re.compile(r'class="flash flash-[a-z]+"[^>]*>([^<]+)<')


def make_account(settings, role: str = "mediateur", name: str | None = None) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with db.session(settings.database_url) as session:
        accounts.create_account(session, name or f"{role.title()} {email[:12]}", email, PASSWORD, role)
        session.commit()
    return email


def nobody_on_duty(settings) -> None:
    """Every mediator away from live exchanges (shared servers: the next test starts clean)."""
    from sqlalchemy import update

    from bot.store.tables import Mediator

    with db.session(settings.database_url) as session:
        session.execute(update(Mediator).values(available=False))
        session.commit()


class Console:
    def __init__(self, settings):
        self.base = f"http://127.0.0.1:{settings.web_port}/mediateurs"
        self.http = requests.Session()
        self.token = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base + path, timeout=20, **kwargs)
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs) -> requests.Response:
        data = dict(data or {})
        if csrf:
            data["csrftoken"] = self.token
        response = self.http.post(self.base + path, data=data, timeout=20, **kwargs)
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        self.get("/connexion")
        return self.post("/connexion", {"email": email, "password": password})

    @staticmethod
    def flash(response: requests.Response) -> str:
        found = FLASH.search(response.text)
        return html.unescape(found.group(1)) if found else ""
