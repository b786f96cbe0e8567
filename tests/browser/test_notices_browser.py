"""The three notices in real Chromium: linked from the chat page, the widget and the console's
pages, and free of serious accessibility violations (axe-core), on a computer and a phone screen.

Only the web app runs here (in a thread, on a fresh SQLite database): the notices and their links
need neither Rasa nor the action server, and the widget draws its links before it connects."""

from __future__ import annotations

import json
import threading
import time

import pytest
import uvicorn

from bot.ops.store_cli import prepare_database
from bot.web import notices
from bot.web.app import create_app
from tests.support.browser import serious_accessibility_violations
from tests.support.servers import settings_for_tests

NOTICES = (notices.PRIVACY_PATH, notices.ACCESSIBILITY_PATH, notices.LEGAL_PATH)
SCREENS = ({"width": 1280, "height": 900}, {"width": 360, "height": 740})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("notices")
    settings = settings_for_tests(f"sqlite:///{var_dir / 'web.db'}", var_dir)
    prepare_database(settings)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=settings.web_port, log_level="warning", ws="none", lifespan="off"
    )  # no websocket (as bot run serves it), no periodic jobs
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{settings.web_port}"
    server.should_exit = True
    thread.join(timeout=10)


def hrefs(page, selector: str) -> set[str]:
    return set(page.eval_on_selector_all(selector, "links => links.map(a => new URL(a.href).pathname)"))


def test_the_chat_page_the_widget_and_the_console_link_the_three_notices(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(site + "/")
    page.wait_for_selector(".mw-notice a")
    assert set(NOTICES) <= hrefs(page, ".mw-notice a")  # the widget, also when embedded elsewhere
    assert set(NOTICES) <= hrefs(page, ".site-footer a")
    # what the accessibility statement says of the messages: a log that screen readers announce
    log = page.get_by_role("log", name="Messages")
    assert log.get_attribute("aria-live") == "polite"
    page.goto(site + "/integration")  # the widget alone, as on a partner's site
    page.get_by_role("button", name="Une question sur le numérique\u202f?").click()
    assert set(NOTICES) <= hrefs(page, ".mw-notice a")
    page.goto(site + "/mediateurs/connexion")
    assert set(NOTICES) <= hrefs(page, ".console-footer a")
    page.goto(site + "/")
    page.locator(".site-footer").get_by_role("link", name="Mentions légales").click()
    page.wait_for_url(site + notices.LEGAL_PATH)
    assert page.get_by_role("heading", level=1).inner_text() == "Mentions légales"
    context.close()


@pytest.mark.parametrize("path", NOTICES)
def test_each_notice_has_no_serious_accessibility_violation(browser, site, path):
    for screen in SCREENS:
        context = browser.new_context(viewport=screen, locale="fr-FR", bypass_csp=True)  # to inject axe
        page = context.new_page()
        page.goto(site + path)
        serious = serious_accessibility_violations(page)
        assert not serious, json.dumps(serious, indent=1, ensure_ascii=False)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (path, screen)
        context.close()
