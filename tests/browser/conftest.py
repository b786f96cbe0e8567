"""The browser tier's fixtures: one Chromium per module, the site served by the shared servers."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def site(servers):
    """The public page of the shared servers (a module may define its own `site`)."""
    return f"http://127.0.0.1:{servers.web_port}/"
