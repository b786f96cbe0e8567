"""Live handover in two real Chromium pages: a person on the website, a mediator in the console.

Ask for a human while a mediator is on duty → the mediator is alerted and joins → messages both
ways, through reloads on both sides → hand back → the assistant answers again; the stored
transcript has every message in order. Then the person leaves a second live exchange themself.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.store import conversations, db
from tests.support.browser import conversation_id, launch, log_in, say, screenshot, wait_until_ready
from tests.support.console_client import make_account, nobody_on_duty

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)
TIMEOUT = 30_000


def type_in_chat(page, text: str) -> None:
    """The person writes during the live part (no assistant reply is awaited)."""
    page.fill("#mw-input", text)
    page.press("#mw-input", "Enter")
    expect(page.locator(".mw-log .mw-user .mw-text").last).to_have_text(text, timeout=TIMEOUT)


@pytest.fixture
def nobody_on_duty_after(servers):
    yield
    nobody_on_duty(servers)


def test_a_person_and_a_mediator_chat_live_then_the_assistant_takes_over(servers, nobody_on_duty_after):
    email = make_account(servers, name="Claire Dupont")
    site = f"http://127.0.0.1:{servers.web_port}"
    hostile = "Bonjour ! Je suis Claire. <img src=x onerror=alert(1)>"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        mediator = browser.new_context(locale="fr-FR").new_page()
        dialogs = []
        mediator.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        log_in(mediator, site, email)
        mediator.get_by_role("button", name="Je suis disponible pour le direct").click()
        expect(mediator.locator("#presence-state")).to_have_text("Direct : disponible", timeout=TIMEOUT)

        person = browser.new_context(locale="fr-FR").new_page()
        person.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        person.goto(site + "/")
        wait_until_ready(person)
        say(person, "je voudrais parler a un mediateur svp")
        assert "va vous rejoindre" in person.locator(".mw-bot .mw-text").last.inner_text()
        expect(person.get_by_role("button", name="Terminer l’échange")).to_be_visible()
        type_in_chat(person, "Bonjour, vous etes la ?")

        # the mediator is alerted on whatever console page they are, and joins
        alert = mediator.locator("#live-alert")
        expect(alert).to_contain_text("attend un médiateur", timeout=TIMEOUT)
        assert mediator.title().startswith("(1)")
        alert.get_by_role("button", name="Rejoindre").click()
        expect(mediator.locator("#live-form")).to_be_visible(timeout=TIMEOUT)
        transcript = mediator.locator("#transcript")
        expect(transcript).to_contain_text("je voudrais parler a un mediateur svp")  # the assistant's part too
        expect(transcript).to_contain_text("Bonjour, vous etes la ?")
        expect(person.locator(".mw-info").last).to_contain_text(
            "Claire, de l'équipe de médiation, vous a rejoint", timeout=TIMEOUT
        )

        # messages both ways, shown as text, the mediator by first name only
        mediator.get_by_label("Votre message à la personne").fill(hostile)
        mediator.get_by_label("Votre message à la personne").press("Enter")
        said = person.locator(".mw-mediator").last
        expect(said.locator(".mw-text")).to_have_text(hostile, timeout=TIMEOUT)
        expect(said.locator(".mw-author")).to_have_text("Claire · équipe de médiation")
        type_in_chat(person, "Je n'arrive pas a declarer mon chiffre d'affaires")
        expect(transcript).to_contain_text("Je n'arrive pas a declarer mon chiffre d'affaires", timeout=TIMEOUT)

        # both sides reload: the history and the live part are still there
        person.reload()
        wait_until_ready(person)
        expect(person.locator(".mw-mediator .mw-text").last).to_have_text(hostile, timeout=TIMEOUT)
        expect(person.get_by_role("button", name="Terminer l’échange")).to_be_visible()
        mediator.reload()
        expect(mediator.locator("#live-form")).to_be_visible()
        mediator.get_by_label("Votre message à la personne").fill("Je regarde votre espace URSSAF avec vous.")
        mediator.get_by_role("button", name="Envoyer").click()
        expect(person.locator(".mw-mediator .mw-text").last).to_have_text(
            "Je regarde votre espace URSSAF avec vous.", timeout=TIMEOUT
        )
        screenshot(person, "live-person")
        screenshot(mediator, "live-mediator")

        # hand back: the assistant picks up again
        mediator.get_by_role("button", name="Terminer et rendre la main à l'assistant").click()
        expect(mediator.locator(".flash")).to_contain_text("l'assistant reprend")
        expect(person.locator(".mw-bot .mw-text").last).to_contain_text("autre question", timeout=TIMEOUT)
        expect(person.get_by_role("button", name="Terminer l’échange")).to_be_hidden()
        say(person, "merci beaucoup")
        assert person.locator(".mw-bot .mw-text").last.inner_text().strip()
        assert dialogs == []
        conversation = conversation_id(person)

        # a second live exchange, which the person ends themself: the mediator sees it
        say(person, "je voudrais encore parler a quelqu'un")
        mediator.goto(site + "/mediateurs/file")
        expect(alert).to_contain_text("attend un médiateur", timeout=TIMEOUT)
        alert.get_by_role("button", name="Rejoindre").click()
        expect(mediator.locator("#live-form")).to_be_visible(timeout=TIMEOUT)
        expect(person.locator(".mw-info").last).to_contain_text("vous a rejoint", timeout=TIMEOUT)
        person.get_by_role("button", name="Terminer l’échange").click()
        expect(person.locator(".mw-bot .mw-text").last).to_contain_text("autre question", timeout=TIMEOUT)
        expect(mediator.locator("#live-ended")).to_contain_text("la personne a quitté l'échange", timeout=TIMEOUT)
        browser.close()

    with db.session(servers.database_url) as session:
        lines = [(line.speaker, line.text) for line in conversations.transcript(session, conversation)]
    expected = [
        ("personne", "je voudrais parler a un mediateur svp"),
        ("personne", "Bonjour, vous etes la ?"),
        ("info", "Claire, de l'équipe de médiation, vous a rejoint. Vous pouvez lui écrire ici."),
        ("mediateur", hostile),
        ("personne", "Je n'arrive pas a declarer mon chiffre d'affaires"),
        ("mediateur", "Je regarde votre espace URSSAF avec vous."),
        ("info", "Claire a terminé l'échange et laisse la main à l'assistant."),
        ("personne", "merci beaucoup"),
        ("personne", "je voudrais encore parler a quelqu'un"),
        ("info", "Vous avez terminé l'échange."),
    ]
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions)
