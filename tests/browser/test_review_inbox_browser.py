"""The review inbox end to end, in real headless Chromium against the real servers: a person types
a first message the assistant misreads (in the website chat), it appears masked in « Phrases à
revoir », a mediator gives the right need in one click, and `bot export-training` outputs it,
masked, for that need."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from playwright.sync_api import expect

from bot import paths
from tests.support.browser import click, launch, log_in, replies, say, screenshot, wait_until_ready
from tests.support.console_client import make_account

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)

# the person gives their name, phone and e-mail in their first message, as people do
FIRST_MESSAGE = (
    "ici Jeanne Durand, 06 12 34 56 78 ou jeanne.durand@exemple.fr : le voyant orange du boîtier "
    "de la boutique clignote sans arrêt depuis lundi, que faire ?"
)
WORDS = "le voyant orange du boîtier de la boutique clignote sans arrêt"
PERSONAL = ("Jeanne", "Durand", "06 12 34 56 78", "jeanne.durand", "exemple.fr")


def test_a_misread_first_message_is_labelled_in_the_console_and_exported_masked(servers, tmp_path):
    from playwright.sync_api import sync_playwright

    email = make_account(servers, name="Inès Médiatrice")
    site = f"http://127.0.0.1:{servers.web_port}"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        person = browser.new_context(locale="fr-FR").new_page()
        person.goto(site + "/")
        wait_until_ready(person)
        say(person, FIRST_MESSAGE)
        offered = replies(person)
        if "Non, ce n'est pas ça" in offered:  # understood as some need: the person says it is not that
            click(person, "Non, ce n'est pas ça")
        else:  # not understood: the menu of needs, or « pouvez-vous le dire autrement ? »
            said = person.locator(".mw-log .mw-bot").last.inner_text()
            assert "Choisissez" in said or "compris" in said, said

        mediator = browser.new_context(locale="fr-FR").new_page()
        log_in(mediator, site, email)
        mediator.get_by_role("navigation", name="Console").get_by_role("link", name="Phrases à revoir").click()
        mediator.wait_for_url("**/mediateurs/phrases")
        card = mediator.locator("li.phrase", has_text=WORDS)
        expect(card).to_have_count(1)
        shown = card.locator("blockquote").inner_text()
        assert WORDS in shown and "(téléphone)" in shown and "(e-mail)" in shown
        for leak in PERSONAL:
            assert leak not in mediator.content()
        screenshot(mediator, "console-review-inbox")

        card.get_by_role("button", name="Me servir d'un ordinateur", exact=True).click()
        expect(mediator.locator(".flash")).to_contain_text("Phrase classée : « Me servir d'un ordinateur »")
        expect(mediator.locator("li.phrase", has_text=WORDS)).to_have_count(0)
        mediator.get_by_role("link", name="Déjà classées").click()
        decided = mediator.locator("li.phrase", has_text=WORDS)
        expect(decided).to_contain_text("Classée : Me servir d'un ordinateur, par Inès Médiatrice")
        browser.close()

    out = tmp_path / "phrases.yml"
    env = dict(os.environ, DATABASE_URL=servers.database_url, BOT_VAR_DIR=str(servers.var_dir))
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "export-training", "--out", str(out)],
        cwd=paths.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert f"written to {out}" in done.stdout
    content = out.read_text(encoding="utf-8")
    for leak in PERSONAL:
        assert leak not in content
    block = next(b for b in yaml.safe_load(content)["nlu"] if b["intent"] == "utiliser_ordinateur")
    [line] = [line for line in block["examples"].splitlines() if WORDS in line]
    assert "(téléphone)" in line and "(e-mail)" in line
