"""The website chat in real headless Chromium, against the real web app, Rasa and action servers.

Runs on the embedded SQLite default (the channel and the web app do not depend on the database
kind; the store itself is tested on both). Screenshots go to reports/.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from bot import clock
from bot.domain import catalog
from bot.store import conversations, db, dossiers
from bot.store.tables import Callback, Dossier
from tests.support.browser import (
    click,
    conversation_id,
    messages,
    replies,
    say,
    screenshot,
    serious_accessibility_violations,
    wait_until_ready,
)

pytestmark = pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)


@pytest.fixture
def page(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(site)
    wait_until_ready(page)
    yield page
    context.close()


def stored_dossier(servers, conversation: str) -> dict | None:
    with db.session(servers.database_url) as session:
        dossier = session.execute(select(Dossier).where(Dossier.conversation_id == conversation)).scalar_one_or_none()
        return None if dossier is None else dossiers.dossier_as_dict(dossier, now=clock.now())


def test_a_full_french_conversation_by_clicking_and_typing(page, servers):
    notice = page.locator(".mw-notice")  # before anything is asked: what is kept, why, how long
    assert notice.is_visible() and f"{catalog.retention_months()} mois" in notice.inner_text()
    say(page, "bonjour")
    say(page, "jai une boulangerie et je voudrais un site pour que les clients me trouvent")
    assert "C'est bien cela\u202f?" in messages(page)[-1]
    assert replies(page) == ["Oui, c'est ça", "Non, ce n'est pas ça"]
    click(page, "Oui, c'est ça")
    click(page, "Non, directement les pistes")
    assert any("Est-ce que cela répond à votre besoin\u202f?" in m for m in messages(page))
    # the pistes are a real numbered list (read as such by screen readers), each title in bold
    assert page.locator(".mw-bot ol.mw-list li strong").count() >= 2
    click(page, "Oui, merci")
    say(page, "au revoir")
    click(page, "Pas d'échéance")
    click(page, "Non merci")  # no follow-up
    click(page, "Non merci")  # no synthesis by e-mail
    click(page, "5")
    click(page, "Non, c'est tout")
    assert "Merci de votre visite" in messages(page)[-1]
    screenshot(page, "chat-full-conversation")

    conversation = conversation_id(page)
    dossier = stored_dossier(servers, conversation)
    assert dossier["needs"][0]["intent"] == "presence_en_ligne" and dossier["needs"][0]["confirmed"] is True
    assert dossier["answered"] is True and dossier["satisfaction"] == 5
    with db.session(servers.database_url) as session:
        said = [line.text for line in conversations.transcript(session, conversation) if line.speaker == "personne"]
    # a clicked button is stored with the title the person saw, not its payload
    assert said[:4] == [
        "bonjour",
        "jai une boulangerie et je voudrais un site pour que les clients me trouvent",
        "Oui, c'est ça",
        "Non, directement les pistes",
    ]


def test_reload_keeps_the_history_and_the_conversation_goes_on(page, servers):
    say(page, "je n'arrive pas à déclarer mon chiffre d'affaires sur le site de l'urssaf")
    click(page, "Oui, c'est ça")
    shown, buttons = messages(page), replies(page)
    conversation = conversation_id(page)
    page.reload()
    page.wait_for_function("n => document.querySelectorAll('.mw-log .mw-msg:not(.mw-intro)').length >= n", arg=len(shown))
    wait_until_ready(page)
    assert messages(page) == shown and replies(page) == buttons
    click(page, "Non, directement les pistes")  # the same conversation continues
    assert conversation_id(page) == conversation
    assert any("Est-ce que cela répond à votre besoin\u202f?" in m for m in messages(page))


def test_two_tabs_of_one_conversation_stay_consistent(browser, site):
    context = browser.new_context(locale="fr-FR")
    first = context.new_page()
    first.goto(site)
    wait_until_ready(first)
    say(first, "comment reconnaitre un mail de phishing")
    second = context.new_page()
    second.goto(site)
    wait_until_ready(second)
    second.wait_for_function(
        "n => document.querySelectorAll('.mw-log .mw-msg:not(.mw-intro)').length >= n", arg=len(messages(first))
    )
    assert messages(second) == messages(first)

    click(second, "Oui, c'est ça")  # answered in the second tab…
    first.wait_for_function(
        "n => document.querySelectorAll('.mw-log .mw-msg:not(.mw-intro)').length >= n", arg=len(messages(second))
    )
    first.wait_for_function("() => document.querySelector('.mw-typing').hidden")
    assert messages(first) == messages(second)  # …shows in the first, in the same order
    assert replies(first) == [] or replies(first) == replies(second)
    assert conversation_id(first) == conversation_id(second)
    context.close()


def test_html_typed_by_someone_is_shown_as_text_and_runs_nothing(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    attack = "<img src=x onerror=alert(1)><script>window.__pwned = 1</script><b>gras</b>"
    say(page, attack)
    assert attack in messages(page)
    assert page.locator(".mw-log img, .mw-log script, .mw-log b").count() == 0
    page.reload()  # the history comes back from the server: still text
    page.wait_for_function("t => [...document.querySelectorAll('.mw-text')].some(e => e.textContent === t)", arg=attack)
    assert page.locator(".mw-log img, .mw-log script, .mw-log b").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == [] and page.evaluate("() => window.__pwned") is None


def test_keyboard_alone_reaches_and_activates_every_control(page):
    say(page, "je voudrais former mes salariés au numérique")  # quick replies appear
    page.locator("#mw-input").focus()
    reached = set()
    for _ in range(40):  # walk backwards from the input through the whole widget
        page.keyboard.press("Shift+Tab")
        reached.add(
            page.evaluate(
                "() => { const e = document.activeElement; return e.closest('.mw-chat') ? "
                "(e.className || e.tagName) + ':' + (e.textContent || '').trim() : 'outside'; }"
            )
        )
    controls = page.evaluate(
        "() => [...document.querySelectorAll('.mw-chat button, .mw-chat a, .mw-chat textarea, .mw-log')]"
        ".filter(e => !e.closest('[hidden]'))"
        ".map(e => (e.className || e.tagName) + ':' + (e.textContent || '').trim())"
    )
    missing = [c for c in controls if c not in reached and not c.startswith("mw-send") and not c.startswith("TEXTAREA")]
    assert not missing, f"not reachable with Tab: {missing}"

    page.locator("#mw-input").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Envoyer"

    # answer a quick reply with the keyboard
    page.locator("#mw-input").focus()
    while not page.evaluate("() => document.activeElement.classList.contains('mw-reply')"):
        page.keyboard.press("Shift+Tab")
    before = page.locator(".mw-log .mw-bot:not(.mw-intro)").count()
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('.mw-log .mw-bot:not(.mw-intro)').length > n", arg=before)
    assert page.evaluate("() => document.activeElement.id") == "mw-input"  # focus back where one types

    # type and send with the keyboard
    page.keyboard.type("merci")
    page.keyboard.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.mw-user .mw-text')].some(e => e.textContent === 'merci')")

    # erase with the keyboard: the confirmation takes the focus, Escape-free, Enter confirms
    while not page.evaluate("() => document.activeElement.classList.contains('mw-erase')"):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.textContent") == "Oui, tout effacer"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.mw-status').textContent.includes('effacée')")


def test_phone_sized_screen_has_no_horizontal_scroll(browser, site):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site)
    wait_until_ready(page)
    say(page, "monsitesuperlongsansespaces" * 12 + " https://www.example.org/" + "chemin/" * 30)
    say(page, "je veux etre rappele")
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, viewport: window.innerWidth,"
        " chat: document.querySelector('.mw-chat').getBoundingClientRect().right})"
    )
    screenshot(page, "chat-360px")
    assert widths["page"] <= widths["viewport"] == 360, widths
    assert widths["chat"] <= 360, widths
    context.close()


def test_an_answer_and_its_details_read_well_on_a_phone(browser, site):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-FR", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site)
    wait_until_ready(page)
    say(page, "je voudrais que les gens trouvent mon salon sur internet")
    click(page, "Oui, c'est ça")
    click(page, "Non, directement les pistes")
    assert page.locator(".mw-bot ol.mw-list li").count() >= 2  # the pistes, as a list
    first = next(title for title in replies(page) if title.startswith("1. "))
    click(page, first)  # one tap: its advantages and drawbacks
    assert "Avantages\u00a0:" in messages(page)[-2] and "Inconvénients\u00a0:" in messages(page)[-2]
    widths = page.evaluate("() => ({page: document.documentElement.scrollWidth, viewport: window.innerWidth})")
    screenshot(page, "chat-360px-answer")
    assert widths["page"] <= widths["viewport"] == 360, widths
    context.close()


def test_erase_my_conversation_leaves_nothing_on_the_server_or_in_the_browser(page, servers):
    say(page, "mon site internet ne ramene aucun client")
    click(page, "Oui, c'est ça")
    click(page, "Non, directement les pistes")
    click(page, "Pas vraiment")
    click(page, "Passer")  # « Qu'est-ce qui vous manque ? »
    click(page, "Oui, parler à une personne")
    click(page, "Être rappelé")
    click(page, "Oui, d'accord")
    say(page, "Camille Martin")
    say(page, "06 12 34 56 78")
    say(page, "le matin")
    say(page, "non")
    conversation = conversation_id(page)
    dossier = stored_dossier(servers, conversation)
    assert dossier["contact"]["phone"] == "+33612345678" and dossier["callback"] is not None

    page.get_by_role("button", name="Effacer ma conversation").click()
    page.get_by_role("button", name="Oui, tout effacer").click()
    page.wait_for_function("() => document.querySelector('.mw-status').textContent.includes('effacée')")
    assert messages(page) == ["Votre conversation a été effacée de nos serveurs et de ce navigateur."]

    erased = stored_dossier(servers, conversation)  # anonymised: needs and dates stay for the reports
    assert erased["contact"] == {"name": None, "email": None, "phone": None, "consent_at": None}
    with db.session(servers.database_url) as session:
        events = session.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": conversation}).scalar()
        callbacks = session.execute(select(Callback)).scalars().all()
    assert events == 0
    assert all(c.preferred_moment is None for c in callbacks if c.dossier_id == dossier["id"])  # « le matin » is gone
    wait_until_ready(page)  # a new, different conversation starts
    assert conversation_id(page) != conversation
    assert page.evaluate("() => localStorage.getItem('mediationChat.outbox')") is None
    page.reload()
    wait_until_ready(page)
    assert messages(page) == []


def test_erasing_a_conversation_with_an_appointment_says_it_is_cancelled(page, servers):
    """The erase API says how many appointments still to come it cancelled: the person reads that
    theirs is cancelled and the mediator told, not only that the conversation is gone."""
    from datetime import timedelta

    from tests.support.mail import START
    from tests.support.mail import book_with_personal_details as book

    say(page, "bonjour")
    conversation = conversation_id(page)
    with db.session(servers.database_url) as session:
        book(session, conversation, START + timedelta(weeks=7))  # a Tuesday morning too, a slot of its own

    page.get_by_role("button", name="Effacer ma conversation").click()
    page.get_by_role("button", name="Oui, tout effacer").click()
    page.wait_for_function("() => document.querySelector('.mw-status').textContent.includes('effacée')")
    said = (
        "Votre conversation a été effacée de nos serveurs et de ce navigateur. "
        "Votre rendez-vous est annulé et le médiateur en est informé."
    )
    assert messages(page) == [said]
    assert page.locator(".mw-status").text_content() == said


def test_no_serious_accessibility_violation(browser, site):
    for viewport in ({"width": 1280, "height": 900}, {"width": 360, "height": 740}):
        context = browser.new_context(viewport=viewport, locale="fr-FR", bypass_csp=True)  # to inject axe
        page = context.new_page()
        page.goto(site)
        wait_until_ready(page)
        say(page, "je voudrais vendre en ligne")
        page.get_by_role("button", name="Effacer ma conversation").click()  # the confirmation too
        serious = serious_accessibility_violations(page)
        assert not serious, json.dumps(serious, indent=1, ensure_ascii=False)
        context.close()


def test_one_script_tag_embeds_the_chat_as_a_button_that_opens_it(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(site + "integration")
    snippet = page.locator("pre code").inner_text()
    assert snippet.startswith('<script src="http://127.0.0.1:') and "/widget.js" in snippet
    launcher = page.get_by_role("button", name="Une question sur le numérique\u202f?")
    assert launcher.get_attribute("aria-expanded") == "false" and not page.locator(".mw-chat").is_visible()
    launcher.click()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.id") == "mw-input"
    wait_until_ready(page)
    say(page, "bonjour")
    assert messages(page)[0] == "bonjour" and "Bonjour et bienvenue" in messages(page)[1]
    page.get_by_role("button", name="Fermer la discussion").click()
    assert not page.locator(".mw-chat").is_visible()
    assert page.evaluate("() => document.activeElement.className") == "mw-launcher"
    context.close()
