"""A mediator using the console, over HTTP or in-process, against the real web app (forms with
their CSRF token)."""

from __future__ import annotations

import html
import re
import uuid

import requests
from starlette.testclient import TestClient

from bot.store import accounts, db
from tests.support.clock import AT

PASSWORD = "un mot de passe solide"
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')
FLASH = re.compile(r'class="flash flash-[a-z]+"[^>]*>([^<]+)<')


def make_account(settings, role: str = "mediateur", name: str | None = None) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with db.session(settings.database_url) as session:
        accounts.create_account(session, name or f"{role.title()} {email[:12]}", email, PASSWORD, role, now=AT)
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
    """A mediator's browser on the console: over HTTP against a running web app (its settings:
    `web_port`), or in-process against a WebApp (tests/support/web_client.py) through its own TestClient.
    Both clients have the same requests-like API; redirects are followed unless
    `follow_redirects=False`."""

    def __init__(self, target):
        from tests.support.web_client import WebApp

        if isinstance(target, WebApp):
            self.http = target.new_client()
            self.base = "/mediateurs"
            self.in_process = True
        else:
            self.http = requests.Session()
            self.base = f"http://127.0.0.1:{target.web_port}/mediateurs"
            self.in_process = False
        self.token = ""

    def _options(self, kwargs: dict) -> dict:
        follow = kwargs.pop("follow_redirects", True)
        if self.in_process:
            return {**kwargs, "follow_redirects": follow}
        return {**kwargs, "allow_redirects": follow, "timeout": 20}

    def _keep_token(self, response):
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def get(self, path: str, **kwargs):
        return self._keep_token(self.http.get(self.base + path, **self._options(kwargs)))

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrftoken"] = self.token
        return self._keep_token(self.http.post(self.base + path, data=data, **self._options(kwargs)))

    def fetch(self, url: str, **kwargs):
        """GET an address of the app (absolute, as a page shows it) without this console's cookies."""
        if self.in_process:
            from starlette.testclient import TestClient

            return TestClient(self.http.app).get(url, **kwargs)
        return requests.get(url, timeout=20, **kwargs)

    def cookie(self, name: str):
        """The cookie as the browser keeps it (http.cookiejar.Cookie: attributes in `_rest`)."""
        jar = getattr(self.http.cookies, "jar", self.http.cookies)
        return next(c for c in jar if c.name == name)

    def login(self, email: str, password: str = PASSWORD):
        self.get("/connexion")
        return self.post("/connexion", {"email": email, "password": password})

    @staticmethod
    def flash(response) -> str:
        found = FLASH.search(response.text)
        return html.unescape(found.group(1)) if found else ""


def form(client: TestClient, page: str, path: str, data: dict | None = None, **kwargs):
    token = TOKEN.search(client.get(page).text).group(1)
    return client.post(path, data={**(data or {}), "csrftoken": token}, **kwargs)


def login(client: TestClient, email: str, password: str = PASSWORD):
    return form(client, "/mediateurs/connexion", "/mediateurs/connexion", {"email": email, "password": password})


def browser(web, email: str, **kwargs) -> TestClient:
    client = web.new_client(**kwargs)
    assert login(client, email).url.path == "/mediateurs/file"
    return client


def copy_of(web, client: TestClient) -> TestClient:
    """Another browser holding a copy of this one's session cookie."""
    thief = web.new_client()
    thief.cookies.set("mediation_console", client.cookies["mediation_console"])
    assert thief.get("/mediateurs/file").url.path == "/mediateurs/file"
    return thief


def refused(client: TestClient) -> bool:
    answer = client.get("/mediateurs/agenda", follow_redirects=False)
    return answer.status_code == 303 and answer.headers["location"].endswith("/mediateurs/connexion")


def mediator_id(web, email: str) -> int:
    with db.session(web.database_url) as session:
        return accounts.mediator_by_email(session, email).id


def page_text(response) -> str:
    return html.unescape(response.text)
