"""The mediator's transcript shows what the person really sent: a message starting with
« EXTERNAL: » is not hidden, and a clicked button is shown by the title of the button the
assistant offered with that payload, never by a title the client sent along.

Events are Rasa's own (`UserUttered`, `BotUttered`, `UserUttered.create_external`) as its tracker
store keeps them (tests/support/rasa_events.py stands in for its table).
"""

from __future__ import annotations

import html
import json
import uuid

from rasa.shared.core.events import BotUttered, UserUttered
from sqlalchemy import select

from bot.store import conversations, db, dossiers
from bot.store.tables import Dossier
from tests.support import rasa_events
from tests.support.clock import AT
from tests.support.console_client import Console, make_account

START = 1_767_000_000.0
YES_NO = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
SLOTS = [{"title": "Lundi 9 h", "payload": '/inform{"creneau": "1"}'}]


def store(session, sender: str, *events) -> None:
    for offset, event in enumerate(events):
        data = event.as_dict()
        rasa_events.add_event(session, sender, data["event"], START + offset, data)
    session.commit()


def person(text: str, intent: str = "nlu_fallback", **metadata) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, metadata=metadata or None, input_channel="website")


def a_conversation(session) -> str:
    """The assistant asks yes or no; the client sends « /deny » labelled « Oui »; then a payload
    no button offered; a person's message that starts with « EXTERNAL: »; a REST caller's message
    claiming to be external; Rasa's own trigger after a live part."""
    sender = f"truth-{uuid.uuid4().hex}"
    rasa_events.create_events_table(session)
    store(
        session,
        sender,
        BotUttered("Vous avez besoin d'un site internet, c'est bien ça ?", data={"buttons": YES_NO}),
        person("/deny", intent="deny", display="Oui"),
        BotUttered("D'accord. Choisissez un créneau.", data={"buttons": SLOTS}),
        person('/inform{"creneau": "9"}', intent="inform", display="Lundi 9 h"),
        person("EXTERNAL: mon site ne marche plus", intent="site_en_panne"),
        person("EXTERNAL: EXTERNAL_live_ended", intent="nlu_fallback", is_external=True),
        UserUttered.create_external("EXTERNAL_live_ended", input_channel="website"),
        BotUttered("Avez-vous une autre question ?"),
    )
    return sender


def test_the_transcript_shows_the_offered_title_of_a_payload_and_every_message_of_the_person(url):
    with db.session(url) as session:
        sender = a_conversation(session)
        lines = conversations.transcript(session, sender)
    assert [(line.speaker, line.text, line.sent) for line in lines] == [
        ("assistant", "Vous avez besoin d'un site internet, c'est bien ça ?", ""),
        ("personne", "Non", "button"),  # what /deny was offered as, not the « Oui » the client sent along
        ("assistant", "D'accord. Choisissez un créneau.", ""),
        ("personne", '/inform{"creneau": "9"}', "payload"),  # no button had it: shown as sent
        ("personne", "EXTERNAL: mon site ne marche plus", ""),
        ("personne", "EXTERNAL: EXTERNAL_live_ended", ""),  # metadata alone does not make it Rasa's
        ("assistant", "Avez-vous une autre question ?", ""),
    ]
    assert [b["title"] for b in lines[0].buttons] == ["Oui", "Non"]  # what was offered


def test_a_live_view_reading_from_an_event_on_still_maps_the_payload_to_the_button_offered_before(url):
    with db.session(url) as session:
        sender = a_conversation(session)
        question = conversations.transcript(session, sender)[0]
        after = conversations.transcript(session, sender, after_id=question.event_id)
    assert [(line.text, line.sent) for line in after[:1]] == [("Non", "button")]


def test_only_rasas_own_triggers_are_external():
    assert conversations.is_external(UserUttered.create_external("EXTERNAL_live_timeout").as_dict())
    assert not conversations.is_external(person("EXTERNAL: EXTERNAL_live_timeout").as_dict())
    assert not conversations.is_external(person("EXTERNAL: x", is_external=True).as_dict())
    assert not conversations.is_external(person("x", intent="EXTERNAL_live_timeout").as_dict())


def test_the_dossier_page_shows_what_was_offered_and_what_was_sent(web):
    with db.session(web.database_url) as session:
        sender = a_conversation(session)
        dossiers.record_need(session, sender, "presence_en_ligne", 0.8, now=AT)
        session.commit()
        dossier_id = session.execute(select(Dossier.id).where(Dossier.conversation_id == sender)).scalar_one()
    console = Console(web)
    console.login(make_account(web))
    page = html.unescape(console.get(f"/dossiers/{dossier_id}").text)
    assert "boutons proposés : « Oui », « Non »" in page
    said = [item for item in page.split("<li") if "line-personne" in item]
    assert len(said) == 4
    assert '<span class="said">Non</span> <span class="how">(bouton)</span>' in said[0]
    assert "Oui" not in said[0]  # the title the client chose is nowhere on the person's line
    assert '<span class="said">/inform{"creneau": "9"}</span>' in said[1] and "aucun bouton proposé" in said[1]
    assert "Lundi 9 h" not in said[1]
    assert "EXTERNAL: mon site ne marche plus" in said[2]


def test_bot_dossiers_show_says_it_too(url, monkeypatch, capsys):
    from bot.ops import cli

    with db.session(url) as session:
        sender = a_conversation(session)
        dossiers.record_need(session, sender, "presence_en_ligne", 0.8, now=AT)
        session.commit()
        dossier_id = session.execute(select(Dossier.id).where(Dossier.conversation_id == sender)).scalar_one()
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["dossiers", "show", str(dossier_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["transcript"]
    assert [(line["text"], line["sent"]) for line in shown if line["speaker"] == "personne"][:2] == [
        ("Non", "button"),
        ('/inform{"creneau": "9"}', "payload"),
    ]
    assert shown[0]["buttons"] == ["Oui", "Non"]
