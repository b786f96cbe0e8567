"""A shared public computer, in real headless Chromium against the real servers: the next person at
the same computer does not see the previous person's conversation — after the idle time (the
server's view: the conversation's events aged in the database, as if its clock had moved on; the
page's view: Playwright's clock moved forward), and at once with « J'ai fini ».
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.store import db
from tests.support.browser import TOKEN_KEY, conversation_id, messages, say, wait_until_ready
from tests.support.servers import age

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)

SECRET = "je m'appelle Camille Martin, mon numéro est le 06 12 34 56 78"


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="fr-FR")
    yield context
    context.close()


def open_chat(context, site, clock: bool = False):
    page = context.new_page()
    if clock:
        page.clock.install()  # time flows as usual until the test moves it
    page.goto(site)
    wait_until_ready(page)
    return page


def wait_for_a_new_conversation(page, old: str) -> None:
    page.wait_for_function(
        "([key, old]) => { const t = localStorage.getItem(key); return !!t && !t.startsWith(old); }",
        arg=[TOKEN_KEY, old],
        timeout=30_000,
    )


def stored_in_browser(page) -> dict:
    return page.evaluate(
        "() => ({local: Object.fromEntries(Object.entries(localStorage)),"
        " session: Object.fromEntries(Object.entries(sessionStorage))})"
    )


def events_of(servers, conversation: str) -> int:
    with db.session(servers.database_url) as session:
        return session.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :c"), {"c": conversation}).scalar_one()


def test_after_the_idle_time_a_reload_shows_an_empty_chat(context, site, servers):
    page = open_chat(context, site)
    say(page, SECRET)
    old = conversation_id(page)
    age(servers, old, 31)  # 31 minutes later, the next person at the same computer reloads the page
    page.reload()
    wait_for_a_new_conversation(page, old)
    assert messages(page) == []
    assert "sans activité" in page.locator(".mw-status").inner_text()
    assert SECRET not in page.content()
    say(page, "bonjour")  # the new conversation works, and the old one got nothing from it
    assert conversation_id(page) != old and messages(page)[0] == "bonjour"


def test_within_the_idle_time_a_reload_keeps_the_conversation(context, site, servers):
    page = open_chat(context, site)
    say(page, SECRET)
    old = conversation_id(page)
    age(servers, old, 29)
    page.reload()
    page.wait_for_function("t => [...document.querySelectorAll('.mw-user .mw-text')].some(e => e.textContent === t)", arg=SECRET)
    wait_until_ready(page)
    assert conversation_id(page) == old


def test_a_page_left_open_forgets_the_conversation_after_the_idle_time(context, site):
    page = open_chat(context, site, clock=True)
    say(page, SECRET)
    old = conversation_id(page)
    page.clock.fast_forward("29:00")
    page.wait_for_timeout(500)
    assert messages(page)[0] == SECRET  # not yet
    page.clock.fast_forward("02:00")  # 31 minutes without a word: the page forgets it by itself
    wait_for_a_new_conversation(page, old)
    assert messages(page) == []
    assert "sans activité" in page.locator(".mw-status").inner_text()


def test_jai_fini_forgets_the_conversation_on_this_device_at_once(context, site, servers):
    page = open_chat(context, site)
    say(page, SECRET)
    old = conversation_id(page)
    page.evaluate("() => sessionStorage.setItem('mediationChat.test', 'x')")
    page.get_by_role("button", name="J’ai fini").click()
    assert messages(page) == []
    assert "La personne suivante ne la verra pas" in page.locator(".mw-status").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "mw-input"
    wait_for_a_new_conversation(page, old)
    kept = stored_in_browser(page)
    assert list(kept["local"]) == [TOKEN_KEY] and old not in kept["local"][TOKEN_KEY]  # a new, empty one only
    assert kept["session"] == {}
    page.reload()
    wait_until_ready(page)
    assert messages(page) == [] and conversation_id(page) != old
    assert events_of(servers, old) > 0  # forgotten here, not erased: the mediators still have it
