"""The public web app in-process (Starlette's TestClient on the real app, SQLite and PostgreSQL):
the page and its security headers, the widget's files, and the widget's API (history, erase, the
end of a live part) with signed tokens. The conversations over Rasa are in
tests/e2e/test_website_channel.py and tests/e2e/test_live_handover.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import clock
from bot.store import accounts, db, dossiers, live
from bot.store.tables import Dossier, LiveChat
from bot.web import conversation_ids
from tests.support import rasa_events
from tests.support.clock import AT


def token_and_conversation(web) -> tuple[str, str]:
    return conversation_ids.new_conversation(web.conversation_secret)


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b'{"token": 12}', 400),
        (b"[]", 400),
        (b'{"token": "abc"}', 404),
        (b'{"token": "' + b"a" * 5000 + b'"}', 413),
    ],
)
def test_the_widget_api_answers_bad_requests_with_a_reason(web, body, status):
    for path in ("history", "erase", "live/end"):
        response = web.client.post(f"/api/conversation/{path}", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == status, path
        assert response.json()["error"]


def test_the_page_is_french_and_sends_security_headers(web):
    response = web.client.get("/")
    assert response.status_code == 200 and '<html lang="fr">' in response.text
    assert "Vos données" in response.text and "ANCT" in response.text  # privacy notice, open-data credit
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert web.client.get("/vendor/socket.io.min.js").status_code == 200
    assert web.client.get("/vendor/../../etc/passwd").status_code == 404
    assert web.client.get("/api/conversation/history").status_code == 405


def test_the_widget_script_the_integration_page_and_health(web):
    script = web.client.get("/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "__RETENTION_MONTHS__" not in script.text
    page = web.client.get("/integration")
    assert page.status_code == 200 and "/widget.js" in page.text
    assert web.client.get("/healthz").json() == {"status": "ok"}


def test_history_and_erase_answer_only_for_a_signed_token(web):
    token, conversation = token_and_conversation(web)
    other_token, other = token_and_conversation(web)
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        just_now = clock.now().timestamp()  # not idle (CONVERSATION_IDLE_MINUTES: tests/web/test_shared_computer.py)
        rasa_events.say(
            session, conversation, ("user", "je suis plombier a Lyon et je veux un site"), ("bot", "Bonjour !"), start=just_now
        )
        rasa_events.say(session, other, ("user", "message de quelqu'un d'autre"), start=just_now)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.8, now=AT)
        session.commit()
    history = "/api/conversation/history"
    forged = conversation + "." + "0" * 32  # the id alone is not enough: the signature is checked
    assert web.client.post(history, json={"token": forged}).status_code == 404
    mine = web.client.post(history, json={"token": token}).json()
    assert [(m["from"], m["text"]) for m in mine["messages"]] == [
        ("user", "je suis plombier a Lyon et je veux un site"),
        ("bot", "Bonjour !"),
    ]
    assert mine["live"] is None
    assert not any("plombier" in m["text"] for m in web.client.post(history, json={"token": other_token}).json()["messages"])

    assert web.client.post("/api/conversation/erase", json={"token": forged}).status_code == 404
    assert web.client.post("/api/conversation/erase", json={"token": token}).json() == {"erased": True, "cancelled": 0}
    assert web.client.post(history, json={"token": token}).json()["messages"] == []
    with db.session(web.database_url) as session:  # erased for good (the route commits)
        # the dossier keeps its needs and dates for the reports, anonymised: that row is also what
        # stops a spooled write from bringing the person's data back (tests/web/test_erasure.py)
        dossier = session.execute(select(Dossier).where(Dossier.conversation_id == conversation)).scalar_one()
        assert dossier.anonymised_at is not None and dossier.contact_name is None
        assert rasa_events.count_events(session, conversation) == 0 and rasa_events.count_events(session, other) == 1


def test_the_person_leaves_the_wait_from_the_widget_even_with_rasa_away(web):
    """The chat ends in the database at once; telling Rasa is retried by the watcher (not running here)."""
    token, conversation = token_and_conversation(web)
    end = "/api/conversation/live/end"
    assert web.client.post(end, json={"token": token}).status_code == 409  # nothing to end yet
    with db.session(web.database_url) as session:
        rasa_events.create_events_table(session)
        live.request(session, conversation, now=clock.now())
        session.commit()
    assert web.client.post("/api/conversation/history", json={"token": token}).json()["live"] == {
        "state": "waiting",
        "name": None,
    }
    assert web.client.post(end, json={"token": conversation + "." + "0" * 32}).status_code == 404
    assert web.client.post(end, json={"token": token}).json() == {"ended": True}
    with db.session(web.database_url) as session:
        chat = session.execute(select(LiveChat).where(LiveChat.conversation_id == conversation)).scalar_one()
        assert chat.ended_by == "person"
    assert web.client.post(end, json={"token": token}).status_code == 409  # already over


def test_the_route_is_the_transaction_boundary(url):
    """bot/web/handlers.py::db_runner commits what the work did once it returns, nothing when it raises."""
    import anyio

    from bot.store.tables import Mediator
    from bot.web.handlers import db_runner

    in_db = db_runner(url)

    def add(name: str, fail: bool):
        def work(session):
            accounts.add_mediator(session, name, f"{name}@example.org", now=AT)
            session.flush()
            if fail:
                raise RuntimeError("the route failed")

        return work

    anyio.run(in_db, add("kept", False))
    with pytest.raises(RuntimeError):
        anyio.run(in_db, add("dropped", True))
    with db.session(url) as session:
        names = set(session.execute(select(Mediator.name)).scalars())
    assert "kept" in names and "dropped" not in names
