"""Driving the website chat in real headless Chromium (Debian's package, through Playwright).

`make test` installs Chromium when it is missing (scripts/ensure-chromium); Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import paths
from tests.support.console_client import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPORTS = paths.ROOT / "reports"
BOT_MESSAGES = ".mw-log .mw-bot:not(.mw-intro)"
TOKEN_KEY = "mediationChat.token"


def launch(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run ./scripts/ensure-chromium (make test does).")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def bot_count(page) -> int:
    return page.locator(BOT_MESSAGES).count()


def wait_for_reply(page, bot_messages_before: int, timeout: float = 45_000) -> None:
    """Until a new assistant message is shown and the assistant stopped « typing »."""
    page.wait_for_function(
        """n => document.querySelectorAll('.mw-log .mw-bot:not(.mw-intro)').length > n
               && document.querySelector('.mw-typing').hidden""",
        arg=bot_messages_before,
        timeout=timeout,
    )


def wait_until_ready(page, timeout: float = 30_000) -> None:
    """The widget has a conversation confirmed by the server."""
    page.wait_for_function(f"() => !!localStorage.getItem('{TOKEN_KEY}')", timeout=timeout)


def say(page, text: str) -> None:
    before = bot_count(page)
    page.fill("#mw-input", text)
    page.press("#mw-input", "Enter")
    wait_for_reply(page, before)


def click(page, title: str) -> None:
    before = bot_count(page)
    page.locator(".mw-replies").get_by_role("button", name=title, exact=True).click()
    wait_for_reply(page, before)


def log_in(page, site: str, email: str) -> None:
    """The mediator `email` (password tests.support.console_client.PASSWORD) logs in to the console
    at `site`, and is on the queue."""
    page.goto(site + "/mediateurs")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/mediateurs/file")


def messages(page) -> list[str]:
    """Every message of the conversation as shown (the widget's own intro left out)."""
    return page.locator(".mw-log .mw-msg:not(.mw-intro) .mw-text").all_inner_texts()


def replies(page) -> list[str]:
    return page.locator(".mw-replies button").all_inner_texts()


def conversation_id(page) -> str:
    token = page.evaluate(f"() => localStorage.getItem('{TOKEN_KEY}')")
    assert token, "the widget has no conversation"
    return token.split(".")[0]


def screenshot(page, name: str) -> None:
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / f"{name}.png"), full_page=True)


AXE = paths.ROOT / "node_modules" / "axe-core" / "axe.min.js"  # from the npm registry (package-lock.json)


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (the context needs
    `bypass_csp=True` to inject it): [] when none."""
    assert AXE.exists(), "axe-core comes from the npm registry: run `make install`"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
