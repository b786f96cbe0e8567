"""The web app in-process: `create_app(settings)` on a fresh database behind Starlette's
TestClient (no Rasa server, no subprocess, no port). The background jobs stay off (no `with`)."""

from __future__ import annotations

import dataclasses

from starlette.testclient import TestClient
from starlette.types import ASGIApp

from bot.settings import Settings


@dataclasses.dataclass
class WebApp:
    """The app, its settings and a client. Reads as its settings too (`web.database_url`), so the
    helpers written for the real servers' settings (make_account, Console…) take it as well."""

    settings: Settings
    app: ASGIApp
    client: TestClient

    def __getattr__(self, name: str):
        return getattr(self.settings, name)

    def new_client(self, **kwargs) -> TestClient:
        """Another browser: its own cookies."""
        return TestClient(self.app, **kwargs)


def web_app(settings: Settings) -> WebApp:
    from bot.web.app import create_app

    app = create_app(settings)
    return WebApp(settings, app, TestClient(app))
