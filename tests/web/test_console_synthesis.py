"""The dossier page as a mediator reads it: what is urgent first, the person's request in their own
words, labels and never internal ids; the queue flags the urgent dossier and lists it first,
right after the people waiting live, even when the person asked for nobody.

The conversation is stored as Rasa's tracker store keeps it (tests/support/rasa_events.py)."""

from __future__ import annotations

import html
import re
import uuid

from rasa.shared.core.events import BotUttered, UserUttered
from sqlalchemy import select

from bot import clock
from bot.store import conversations, db, dossiers, live
from bot.store.tables import Dossier
from tests.support import rasa_events
from tests.support.clock import AT
from tests.support.console_client import Console, make_account

START = AT.timestamp() - 60  # typed just before AT, when the need is recorded; the page read at AT
YES_NO = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
ATTACK = "bonjour on m'a piraté ma boutique en ligne, ils demandent une rançon"
REQUEST = "On m'a piraté mon compte sur le site de l'URSSAF, je dois déclarer avant vendredi"


def person(text: str, intent: str = "nlu_fallback") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, input_channel="website")


def a_dossier(session, *said: str) -> int:
    sender = f"synthesis-{uuid.uuid4().hex}"
    if not conversations.rasa_events_exist(session):
        rasa_events.create_events_table(session)
    events = [
        *(person(text) for text in said),
        BotUttered("Si je comprends bien, vous souhaitez faire une démarche en ligne ?", data={"buttons": YES_NO}),
        person("/affirm", intent="affirm"),
    ]
    for offset, event in enumerate(events):
        data = event.as_dict()
        rasa_events.add_event(session, sender, data["event"], START + offset, data)
    dossiers.record_need(session, sender, "demarches_en_ligne", 0.71, now=AT)
    dossiers.update_profile(session, sender, {"secteur": "batiment", "effectif": "1-9"}, now=AT)
    dossiers.record_answered(session, sender, False, now=AT)  # « Pas vraiment »: the dossier waits for a person
    session.commit()
    return session.execute(select(Dossier.id).where(Dossier.conversation_id == sender)).scalar_one()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u202f", " ").replace("\u00a0", " ").split())


def test_the_dossier_page_says_what_is_urgent_then_the_persons_words_in_labels(web, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: AT)  # the app's one clock: the deadline is read on AT
    with db.session(web.database_url) as session:
        dossier_id = a_dossier(session, "Bonjour", REQUEST)
    console = Console(web)
    console.login(make_account(web))
    page = console.get(f"/dossiers/{dossier_id}").text
    shown = text_of(page)
    assert "Urgent Attaque informatique peut-être en cours" in shown
    assert "Échéance dans 4 jours, le vendredi 11 janvier" in shown
    assert shown.index("Urgent") < shown.index("La demande, avec les mots de la personne") < shown.index("Besoin")
    assert f"« {REQUEST} »" in shown
    assert "« Bonjour »" not in shown  # a greeting alone is not the request
    assert "Faire une démarche en ligne, non confirmé par la personne (l'assistant en était sûr à 71 %)" in shown
    assert "Métier bâtiment et travaux (BTP)" in shown and "Taille de 1 à 9 salariés" in shown
    assert "Maturité numérique de l'entreprise non évaluée" in shown
    synthesis = shown[shown.index("Synthèse") : shown.index("Échange complet")]
    for internal in ("demarches_en_ligne", "batiment", "1-9", "debutant", "UTC"):
        assert internal not in synthesis


def test_the_queue_flags_an_urgent_dossier_and_lists_it_first(web):
    with db.session(web.database_url) as session:
        calm = a_dossier(session, "Je voudrais faire ma déclaration en ligne, sans urgence")
        urgent = a_dossier(session, "J'ai reçu une mise en demeure avec une majoration")
    console = Console(web)
    console.login(make_account(web))
    page = console.get("/file").text
    assert page.index(f"/dossiers/{urgent}") < page.index(f"/dossiers/{calm}")
    row = page[page.index(f"/dossiers/{urgent}") : page.index(f"/dossiers/{calm}")]
    assert '<strong class="urgent">Urgent</strong>' in row and "pénalité ou sanction évoquée" in html.unescape(row)
    calm_row = page[page.index(f"/dossiers/{calm}") :].split("</tr>")[0]
    assert "Urgent" not in calm_row


def test_the_queue_lists_an_urgent_dossier_nobody_was_asked_for_after_the_people_waiting_live(web, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: AT)  # the app's one clock: what is urgent and recent is read on AT
    with db.session(web.database_url) as session:
        ids = {}
        for name, typed in (("live", "Je voudrais faire ma déclaration en ligne"), ("attack", ATTACK), ("calm", "Bonjour")):
            sender = f"queue-{name}-{uuid.uuid4().hex}"
            if not conversations.rasa_events_exist(session):
                rasa_events.create_events_table(session)
            rasa_events.add_event(session, sender, "user", START, person(typed).as_dict())
            dossiers.record_need(session, sender, "demarches_en_ligne", 0.9, now=AT)
            ids[name] = sender
        live.request(session, ids["live"], now=AT)
        session.commit()
        number = {name: dossiers.by_conversation(session, sender).id for name, sender in ids.items()}
    console = Console(web)
    console.login(make_account(web))
    page = console.get("/file").text
    assert f"/dossiers/{number['calm']}" not in page  # asked for nobody, not urgent: not listed
    assert page.index(f"/dossiers/{number['live']}") < page.index(f"/dossiers/{number['attack']}")
    row = text_of(page[page.index(f"/dossiers/{number['attack']}") :].split("</tr>")[0])
    assert "Urgent : attaque informatique peut-être en cours" in row
    assert "sans demande de contact ni coordonnées" in row
    shown = text_of(console.get(f"/dossiers/{number['attack']}").text)
    assert "sans demande de contact ni coordonnées" in shown  # the dossier page says it as the queue does


def test_bot_dossiers_show_and_list_say_it_in_the_same_words(url, monkeypatch, capsys):
    from bot.ops import cli

    with db.session(url) as session:
        dossier_id = a_dossier(session, "Bonjour", REQUEST)
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["dossiers", "show", str(dossier_id)]) == 0
    shown = capsys.readouterr().out.replace("\u202f", " ").replace("\u00a0", " ")
    synthesis = shown[: shown.index("Transcript:")]
    assert "URGENT : attaque informatique peut-être en cours" in synthesis
    assert f"Demande de la personne : « {REQUEST} »" in synthesis
    assert "Besoin : Faire une démarche en ligne, non confirmé par la personne (l'assistant en était sûr à 71 %)" in synthesis
    assert "Question « Métier » : bâtiment et travaux (BTP)" in synthesis
    for internal in ("demarches_en_ligne", "batiment", "1-9", "UTC"):
        assert internal not in synthesis
    assert cli.main(["dossiers", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"n° {dossier_id}" in listed and "URGENT" in listed and "Faire une démarche en ligne (?)" in listed
