"""axe-core on every page the accessibility statement names (data/accessibility.yml), on a computer
and a phone screen, against the real servers, in real Chromium; and the console's main path with the
keyboard alone (Tab and Enter), the focus always visible.

The pages are opened as a person and a mediator see them: a real conversation in the chat, which
asks about a hacked mailbox (an urgent dossier, with its transcript) and has an appointment; a calm
dossier; phrases to review. A page added to the statement without a way to open it here fails
`test_the_statement_lists_exactly_the_pages_checked_here`, and so does a page checked here that the
statement does not name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from bot.domain import review
from bot.mail import links
from bot.store import accounts, db, dossiers, review_inbox, scheduling
from bot.store.tables import Dossier
from bot.web import checked_pages, notices
from tests.support.browser import (
    conversation_id,
    log_in,
    say,
    serious_accessibility_violations,
    wait_until_ready,
)
from tests.support.clock import AT
from tests.support.console_client import PASSWORD, make_account
from tests.support.mail import START

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)

SCREENS = ({"width": 1280, "height": 900}, {"width": 360, "height": 740})
URGENT = "on a pirate la boite mail de mon salon de coiffure et ils demandent une rancon"


@dataclass(frozen=True)
class Seeded:
    site: str
    admin: str  # e-mail of an admin mediator (every console page)
    dossier_id: int  # the urgent dossier, with a transcript and an appointment
    calm_id: int
    appointment_link: str  # /rendez-vous/<token>
    reset_link: str  # /mediateurs/mot-de-passe/<token>
    signed_in: dict  # the admin's browser storage after logging in


def dossier_of(session, conversation: str) -> int:
    return session.execute(select(Dossier.id).where(Dossier.conversation_id == conversation)).scalar_one()


@pytest.fixture(scope="module")
def seeded(servers, browser) -> Seeded:
    site = f"http://127.0.0.1:{servers.web_port}"
    admin = make_account(servers, role="admin", name="Camille Accessible")
    forgetful = make_account(servers, name="Lou Oubli")

    context = browser.new_context(locale="fr-FR")  # a person asks in the chat
    person = context.new_page()
    person.goto(site + "/")
    wait_until_ready(person)
    say(person, URGENT)
    conversation = conversation_id(person)
    context.close()

    with db.session(servers.database_url) as session:
        me = accounts.mediator_by_email(session, admin)
        scheduling.open_slots(session, me, [START, START + timedelta(hours=1), START + timedelta(hours=2)], 45)
        dossiers.record_contact(session, conversation, "Sam Coiffure", "sam@example.org", "+33612345678", AT, now=AT)
        session.commit()
        slot = scheduling.open_slots_of(session, me, after=START - timedelta(minutes=1), limit=1)[0]
        reference = scheduling.book_slot(session, conversation, slot.id, now=AT).reference
        dossier_id = dossier_of(session, conversation)
        calm = f"calme-{dossier_id}"
        dossiers.record_need(session, calm, "presence_en_ligne", 0.9, now=AT)
        dossiers.record_answered(session, calm, False, now=AT)  # « Pas vraiment »: waits for a person
        for n, text in enumerate(("le truc clignote sur la box du magasin", "comment on fait pour le machin des impots")):
            review_inbox.record_first_message(session, f"phrase-{dossier_id}-{n}", text, review.MENU, None, 0.2, now=AT)
        calm_id = dossier_of(session, calm)
        lou = accounts.mediator_by_email(session, forgetful)
        # the server checks the link against its own (real) clock: signed from that clock, valid 30 minutes
        reset = links.reset_token(servers.session_secret, lou.id, lou.password_hash, now=datetime.now(timezone.utc))
        session.commit()

    context = browser.new_context(locale="fr-FR")
    log_in(context.new_page(), site, admin)
    signed_in = context.storage_state()
    context.close()
    return Seeded(
        site=site,
        admin=admin,
        dossier_id=dossier_id,
        calm_id=calm_id,
        appointment_link="/rendez-vous/" + links.appointment_token(servers.session_secret, reference, START),
        reset_link="/mediateurs/mot-de-passe/" + reset,
        signed_in=signed_in,
    )


# --- each page of the statement, opened in the state it names ----------------------------------


def chat_with_erase_confirmation(page, seeded: Seeded) -> None:
    page.goto(seeded.site + "/")
    wait_until_ready(page)
    say(page, "je voudrais vendre en ligne")
    page.get_by_role("button", name="Effacer ma conversation").click()
    expect(page.get_by_role("button", name="Oui, tout effacer")).to_be_visible()


def embedded_chat(page, seeded: Seeded) -> None:
    page.goto(seeded.site + "/integration")
    page.get_by_role("button", name="Une question sur le numérique\u202f?").click()
    wait_until_ready(page)


def appointment(page, seeded: Seeded) -> None:
    page.goto(seeded.site + seeded.appointment_link)
    expect(page.locator("#status")).to_have_text("confirmé")
    expect(page.get_by_role("radio")).not_to_have_count(0)  # other moments to move to


def console(path: str, *shown: str):
    def open_page(page, seeded: Seeded) -> None:
        page.goto(seeded.site + "/mediateurs" + path.format(seeded=seeded))
        for selector in shown:
            expect(page.locator(selector).first).to_be_visible()

    return open_page


def public(path: str):
    def open_page(page, seeded: Seeded) -> None:
        page.goto(seeded.site + path)

    return open_page


def reset_password(page, seeded: Seeded) -> None:
    page.goto(seeded.site + seeded.reset_link)
    expect(page.get_by_label("Encore une fois")).to_be_visible()  # the link is valid: the form is shown


# id (data/accessibility.yml) -> (signed in to the console?, how to open it)
PAGES = {
    "accueil": (False, chat_with_erase_confirmation),
    "integration": (False, embedded_chat),
    "rendez-vous": (False, appointment),
    "donnees-personnelles": (False, public(notices.PRIVACY_PATH)),
    "accessibilite": (False, public(notices.ACCESSIBILITY_PATH)),
    "mentions-legales": (False, public(notices.LEGAL_PATH)),
    "connexion": (False, console("/connexion", "#email")),
    "mot-de-passe-oublie": (False, console("/mot-de-passe-oublie", "#email")),
    "nouveau-mot-de-passe": (False, reset_password),
    "file": (True, console("/file", "table.queue strong.urgent")),
    "dossier": (True, console("/dossiers/{seeded.dossier_id}", "#urgence", ".transcript .line-personne")),
    "agenda": (True, console("/agenda", "td a[href$='.ics']")),
    "equipe": (True, console("/equipe", "form.slots-form")),
    "compte": (True, console("/compte", "#sessions")),
    "activite": (True, console("/activite", ".chart")),
    "phrases": (True, console("/phrases", "li.phrase")),
}
LISTED = [page.id for page in checked_pages.checked_pages()]


def test_the_statement_lists_exactly_the_pages_checked_here(servers):
    assert sorted(PAGES) == sorted(LISTED)
    statement = requests.get(f"http://127.0.0.1:{servers.web_port}{notices.ACCESSIBILITY_PATH}", timeout=20).text
    for page in checked_pages.checked_pages():
        assert f'<li id="verifiee-{page.id}">' in statement, page.id


@pytest.mark.parametrize("page_id", LISTED)
def test_no_serious_accessibility_violation(browser, seeded, page_id):
    signed_in, open_page = PAGES[page_id]
    for screen in SCREENS:
        context = browser.new_context(
            viewport=screen,
            locale="fr-FR",
            bypass_csp=True,  # to inject axe
            storage_state=seeded.signed_in if signed_in else None,
        )
        page = context.new_page()
        open_page(page, seeded)
        if signed_in:
            assert "/connexion" not in page.url, "the console asked to log in again"
        wider = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, f"{page_id}: the page scrolls sideways by {wider} px on a {screen['width']} px screen"
        serious = serious_accessibility_violations(page)
        assert not serious, json.dumps({"screen": screen, "violations": serious}, indent=1, ensure_ascii=False)
        context.close()


# --- the console's main path, with the keyboard alone ------------------------------------------


def focused(page) -> dict:
    """What has the focus, and whether it shows: a visible outline at least 2 px wide."""
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
            return {tag: el.tagName, id: el.id, text: (el.innerText || el.value || '').trim(),
                    href: el.getAttribute('href') || '', visible: el.matches(':focus-visible')
                      && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
                      && box.width > 0 && box.height > 0};
        }"""
    )


def tab_to(page, wanted, limit: int = 120) -> dict:
    """Press Tab until `wanted(focused element)`; every stop on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["visible"], f"the focus does not show on {now}"
        if wanted(now):
            return now
    raise AssertionError(f"not reached with {limit} Tab presses")


def test_log_in_open_a_dossier_and_claim_it_with_the_keyboard_alone(browser, seeded, servers):
    email = make_account(servers, name="Dominique Clavier")
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(seeded.site + "/mediateurs/connexion")

    tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type(email)
    tab_to(page, lambda f: f["id"] == "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/mediateurs/file")

    skip = tab_to(page, lambda f: f["tag"] == "A")  # the first stop skips the console's menu
    assert skip["text"] == "Aller au contenu"
    page.keyboard.press("Enter")
    link = tab_to(page, lambda f: f["href"].endswith(f"/dossiers/{seeded.dossier_id}"))
    assert link["text"].startswith(f"n° {seeded.dossier_id}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/mediateurs/dossiers/{seeded.dossier_id}")

    tab_to(page, lambda f: f["text"] == "Prendre en charge")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("pris en charge")
    expect(page.locator("p.muted").first).to_contain_text("pris en charge par Dominique Clavier")
    context.close()


def test_the_queue_reloads_itself_every_minute_until_the_mediator_stops_it(browser, seeded):
    """RGAA 13.1: an automatic refresh the person can stop (a meta refresh could not be stopped)."""
    context = browser.new_context(locale="fr-FR", storage_state=seeded.signed_in)
    page = context.new_page()
    page.clock.install()  # time flows as usual until the test moves it
    page.goto(seeded.site + "/mediateurs/file")
    state = page.locator("#auto-refresh-state")
    expect(state).to_have_text("Mise à jour automatique chaque minute.")
    page.clock.fast_forward("01:01")
    page.wait_for_url("**/mediateurs/file?auto=1")  # reloaded, marked as not the mediator's own activity

    page.get_by_role("button", name="Arrêter la mise à jour automatique").click()
    expect(state).to_have_text("Mise à jour automatique arrêtée.")
    page.reload()  # the choice holds in this tab
    expect(state).to_have_text("Mise à jour automatique arrêtée.")
    page.evaluate("() => { window.stillHere = true; }")
    page.clock.fast_forward("05:00")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.stillHere === true"), "the page reloaded after being stopped"

    page.get_by_role("button", name="Reprendre la mise à jour automatique").click()
    expect(state).to_have_text("Mise à jour automatique chaque minute.")
    page.clock.fast_forward("01:01")
    page.wait_for_function("() => window.stillHere !== true")
    context.close()
