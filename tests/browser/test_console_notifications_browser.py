"""Browser notifications of the console, in real headless Chromium, and the « direct » e-mail alert
sent by the real web app (its watcher and mail sender) to a real SMTP server (aiosmtpd).

The web app runs alone (no Rasa needed): people waiting in the live chat and new requests are
written in its database as the assistant's actions would. An init script wraps
`window.Notification` to record every notification the page creates.
"""

from __future__ import annotations

import time
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import update

from bot import clock
from bot.ops import supervisor
from bot.store import accounts, db, dossiers, live, migrate, scheduling
from bot.store.tables import LiveChat, Mediator
from tests.support.browser import launch, log_in, screenshot
from tests.support.console_client import PASSWORD
from tests.support.servers import settings_for_tests
from tests.support.smtp_server import SmtpServer, body, subject

TIMEOUT = 30_000

# Records each notification (title, body, tag, requireInteraction) and each permission request.
# `fake_grant`: the permission prompt is answered « Autoriser » (headless Chromium shows none).
WRAP_NOTIFICATION = """
(() => {
  const Real = window.Notification;
  const fakeGrant = %s;
  let fakePermission = null;
  window.__notifications = [];
  window.__notificationObjects = [];
  window.__permissionAsked = 0;
  function Wrapped(title, options) {
    options = options || {};
    window.__notifications.push({ title: title, body: options.body || "", tag: options.tag || "",
                                  urgent: !!options.requireInteraction });
    let made;
    try { made = new Real(title, options); } catch (e) { made = { close() {} }; }
    window.__notificationObjects.push(made);
    return made;
  }
  Object.defineProperty(Wrapped, "permission", { get: () => fakePermission || Real.permission });
  Wrapped.requestPermission = function (callback) {
    window.__permissionAsked += 1;
    if (!fakeGrant) return Real.requestPermission(callback);
    fakePermission = "granted";
    if (callback) callback("granted");
    return Promise.resolve("granted");
  };
  window.Notification = Wrapped;
  // counts the console's polls of /direct/etat.json, once the page has handled each answer
  window.__polls = 0;
  const realFetch = window.fetch;
  window.fetch = function (url) {
    const answer = realFetch.apply(this, arguments);
    if (String(url).includes("/direct/etat.json")) {
      answer.then(() => setTimeout(() => { window.__polls += 1; }, 300), () => {});
    }
    return answer;
  };
})();
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The web app alone on SQLite, sending its e-mails to a local SMTP server."""
    var_dir = tmp_path_factory.mktemp("notifications")
    database_url = f"sqlite:///{var_dir / 'store.db'}"
    migrate.upgrade(database_url)
    smtp = SmtpServer().start()
    settings = settings_for_tests(database_url, var_dir, allowed_origins=())
    group = supervisor.ServerGroup(settings=settings, log_dir=var_dir / "logs")
    group.start("web", supervisor.web_server_command(settings), extra_env={"SMTP_URL": smtp.url})
    try:
        group.wait_until("web", supervisor.web_server_ready, 120)
        yield settings, smtp
    finally:
        group.stop()
        smtp.stop()
        db.engine_for(database_url).dispose()


def account(settings, name: str) -> str:
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    with db.session(settings.database_url) as session:
        accounts.create_account(session, name, email, PASSWORD, now=clock.now())
        session.commit()
    return email


def new_dossier(settings, *, callback: bool = False, wait: bool = False) -> int:
    """A conversation that needs « être plus visible en ligne » and asks for a human: a call back,
    or a mediator in the live chat (as actions/booking.py, actions/callback.py and actions/live.py record them)."""
    conversation = "conv-" + uuid.uuid4().hex[:10]
    with db.session(settings.database_url) as session:
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=clock.now())
        dossiers.confirm_latest_need(session, conversation, True, now=clock.now())
        dossiers.record_contact(
            session, conversation, "Marie <b>Dupont</b>", "marie@example.org", None, clock.now(), now=clock.now()
        )
        if callback:
            scheduling.request_callback(session, conversation, "le matin", date(2030, 1, 15), now=clock.now())
        session.commit()
        dossier_id = dossiers.by_conversation(session, conversation).id
        if wait:
            live.request(session, conversation, now=clock.now())
            session.commit()
        return dossier_id


def end_all_waits(settings) -> None:
    with db.session(settings.database_url) as session:
        session.execute(
            update(LiveChat)
            .where(LiveChat.state.in_(("waiting", "active")))
            .values(state="ended", ended_by="person", ended_at=clock.now())
        )
        session.execute(update(Mediator).values(available=False))
        session.commit()


def notifications(page) -> list[dict]:
    return page.evaluate("() => window.__notifications")


def wait_for_notification(page, title: str) -> dict:
    page.wait_for_function("t => window.__notifications.some(n => n.title === t)", arg=title, timeout=TIMEOUT)
    return next(n for n in notifications(page) if n["title"] == title)


def a_poll_went_by(page) -> None:
    """Until the console's 5-second poll ran once more on this page, and the page handled it."""
    done = page.evaluate("() => window.__polls")
    page.wait_for_function("n => window.__polls > n", arg=done, timeout=TIMEOUT)


def test_the_console_asks_before_notifying_then_notifies_each_request_and_each_wait_once(site):
    settings, smtp = site
    url = f"http://127.0.0.1:{settings.web_port}"
    end_all_waits(settings)
    with sync_playwright() as playwright:
        browser = launch(playwright)

        # 1. Notifications are not allowed yet: a button asks, the page never does on its own
        asking = browser.new_context(locale="fr-FR")
        asking.add_init_script(WRAP_NOTIFICATION % "true")
        page = asking.new_page()
        log_in(page, url, account(settings, "Lucie Bernard"))
        button = page.get_by_role("button", name="Activer les notifications du navigateur")
        expect(button).to_be_visible()
        a_poll_went_by(page)
        assert page.evaluate("() => window.__permissionAsked") == 0 and notifications(page) == []
        button.click()
        expect(page.locator("#notify-state")).to_have_text("Notifications : activées")
        expect(button).to_be_hidden()
        assert page.evaluate("() => window.__permissionAsked") == 1
        assert [n["title"] for n in notifications(page)] == ["Notifications activées"]
        asking.close()

        # 2. Allowed in the browser: no button; requests already there when it starts are not notified
        before = new_dossier(settings, callback=True)
        context = browser.new_context(locale="fr-FR", permissions=["notifications"])
        context.add_init_script(WRAP_NOTIFICATION % "false")
        page = context.new_page()
        nadia = account(settings, "Nadia Ferhat")
        log_in(page, url, nadia)
        expect(page.locator("#notify-state")).to_have_text("Notifications : activées")
        expect(page.get_by_role("button", name="Activer les notifications du navigateur")).to_be_hidden()
        page.get_by_role("button", name="Je suis disponible pour le direct").click()
        expect(page.locator("#presence-state")).to_have_text("Direct : disponible", timeout=TIMEOUT)
        a_poll_went_by(page)
        assert notifications(page) == [] and page.evaluate("() => window.__permissionAsked") == 0

        # a new call-back request: one notification, with the need and the dossier, nothing personal
        callback = new_dossier(settings, callback=True)
        note = wait_for_notification(page, "Nouvelle demande de rappel")
        assert note["body"] == f"Dossier n° {callback} : Être plus visible en ligne."
        assert note["tag"].startswith("rappel:") and not note["urgent"]
        assert all("Dupont" not in n["body"] and "marie@" not in n["body"] for n in notifications(page))

        # a person waits in the live chat: an urgent notification (it stays until seen)
        waiting = new_dossier(settings, wait=True)
        note = wait_for_notification(page, "Une personne attend dans le chat")
        assert note["urgent"] and f"dossier n° {waiting} : Être plus visible en ligne." in note["body"]
        expect(page.locator("#live-alert")).to_contain_text("attend un médiateur")

        # clicking the notification opens the dossier
        assert [n["title"] for n in notifications(page)] == ["Nouvelle demande de rappel", "Une personne attend dans le chat"]
        page.evaluate("() => window.__notificationObjects[1].onclick()")
        page.wait_for_url(f"**/mediateurs/dossiers/{waiting}")
        expect(page.get_by_role("button", name="Rejoindre la personne")).to_be_visible()

        # once: more polls, other pages, a second tab of the same browser notify nothing again
        a_poll_went_by(page)
        page.get_by_role("link", name="Mon agenda").click()
        a_poll_went_by(page)
        a_poll_went_by(page)
        other_tab = context.new_page()
        other_tab.goto(url + "/mediateurs/file")
        a_poll_went_by(other_tab)
        assert notifications(page) == [] and notifications(other_tab) == []
        assert before  # its request, older than the notifications, was never notified
        screenshot(page, "console-notifications")

        # she watches the console (available, page open): nobody is e-mailed about the person waiting
        # (its own dossier and its own mediator: the module's other test e-mails a direct alert too)
        time.sleep(14)  # several rounds of the watcher (2 s) and of the mail sender (10 s)
        alerts = [m for m in smtp.messages if "attend dans le chat" in subject(m)]
        assert [str(m["To"]) for m in alerts if nadia in str(m["To"]) or f"/mediateurs/dossiers/{waiting}" in body(m)] == []
        browser.close()
    end_all_waits(settings)


def test_the_web_app_emails_the_direct_alert_when_the_one_on_duty_has_no_console_open(site):
    settings, smtp = site
    end_all_waits(settings)
    email = account(settings, "Paul Lambert")
    with db.session(settings.database_url) as session:  # available a minute ago, console closed since
        session.execute(
            update(Mediator).where(Mediator.email == email).values(available=True, last_seen_at=clock.now(), console_seen_at=None)
        )
        session.commit()
    dossier = new_dossier(settings, wait=True)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not smtp.to(email):
        time.sleep(0.5)
    [alert] = smtp.to(email)
    assert subject(alert) == "Une personne attend dans le chat : Être plus visible en ligne"
    text = body(alert)
    assert "Marie attend un médiateur dans le chat du site" in text and "Dupont" not in text
    assert f"/mediateurs/dossiers/{dossier}" in text
    time.sleep(3)
    assert len(smtp.to(email)) == 1
    end_all_waits(settings)
