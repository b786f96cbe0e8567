"""A mediator in real headless Chromium picks up a dossier that a real conversation (the website
chat, in another page) created, claims it, adds a note, closes it with a corrected need; then
`bot export-training` proposes that first message for the right need.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from playwright.sync_api import sync_playwright

from bot import paths
from bot.store import db, dossiers
from tests.support.browser import click, conversation_id, launch, log_in, say, screenshot, wait_until_ready
from tests.support.console_client import make_account

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)

FIRST_MESSAGE = "je voudrais que mes deux vendeuses sachent utiliser la nouvelle caisse"


def test_a_mediator_claims_annotates_and_closes_a_real_dossier(servers, tmp_path):
    email = make_account(servers, name="Nadia Médiatrice")
    site = f"http://127.0.0.1:{servers.web_port}"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        person = browser.new_context(locale="fr-FR").new_page()
        person.goto(site + "/")
        wait_until_ready(person)
        say(person, FIRST_MESSAGE)
        click(person, "Oui, c'est ça")
        click(person, "Non, directement les pistes")
        click(person, "Pas vraiment")  # the answer was not enough: the dossier waits for a human
        click(person, "Passer")  # « Qu'est-ce qui vous manque ? »
        conversation = conversation_id(person)

        mediator = browser.new_context(locale="fr-FR").new_page()
        log_in(mediator, site, email)
        with db.session(servers.database_url) as session:  # this conversation's dossier, whatever ran before
            dossier_id = dossiers.by_conversation(session, conversation).id
        row = mediator.locator("table.queue tr", has=mediator.locator(f'a[href$="/dossiers/{dossier_id}"]'))
        assert "réponse insuffisante" in row.inner_text()
        row.get_by_role("link").click()
        assert conversation in mediator.locator("p.muted").first.inner_text()
        assert FIRST_MESSAGE in mediator.locator(".transcript").inner_text()
        assert "Former mon équipe" in mediator.locator(".synthesis").inner_text()

        mediator.get_by_role("button", name="Prendre en charge").click()
        assert "pris en charge" in mediator.locator(".flash").inner_text()
        mediator.get_by_label("Ajouter une note").fill("Appelée : il s'agit surtout de la caisse <b>enregistreuse</b>.")
        mediator.get_by_role("button", name="Enregistrer la note").click()
        assert "caisse <b>enregistreuse</b>" in mediator.locator(".notes").inner_text()  # shown as text
        mediator.get_by_label("Suite donnée").fill("Orientée vers la formation de l'éditeur et Pix.")
        mediator.get_by_label("Non, le bon besoin était :").check()
        mediator.get_by_label("Le bon besoin", exact=True).select_option("outils_internes")
        mediator.get_by_role("button", name="Clore").click()
        assert "Dossier clos" in mediator.locator(".flash").inner_text()
        assert "tri corrigé : outils_internes" in mediator.locator(".audit").inner_text()
        screenshot(mediator, "console-closed-dossier")
        browser.close()

    out = tmp_path / "corrections.yml"
    env = dict(os.environ, DATABASE_URL=servers.database_url, BOT_VAR_DIR=str(servers.var_dir))
    subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "export-training", "--out", str(out)],
        cwd=paths.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    exported = yaml.safe_load(out.read_text())["nlu"]
    block = next(b for b in exported if b["intent"] == "outils_internes")
    assert f"- {FIRST_MESSAGE}" in block["examples"].splitlines()
