"""The first exchange, end to end through the real Rasa server, action server and tracker store."""

from __future__ import annotations

import requests

from bot.domain import catalog, knowledge
from bot.language.french import typeset


def test_greeting_says_it_is_an_assistant_and_asks_what_brings_the_person(chat):
    text = chat.texts(chat.say("bjr"))
    assert "assistant automatique" in text
    assert "pas une personne" in text
    assert "gratuit et neutre" in text and "ne recommande aucune marque" in text
    assert "Qu'est-ce qui vous amène" in text


def test_need_is_reformulated_confirmed_answered_and_a_human_offered(chat):
    replies = chat.say("je voudrais que les gens trouvent mon salon sur internet, personne me connait")
    text = chat.texts(replies)
    assert "Si je comprends bien" in text
    assert catalog.need("presence_en_ligne").phrase in text
    assert [b["payload"] for b in chat.buttons(replies)] == ["/affirm", "/deny"]
    # first message of the conversation: the assistant also says who it is
    assert "assistant automatique" in text

    text = chat.texts(chat.say("oui c ca"))
    assert "c'est noté" in text and "quelques questions courtes" in text
    replies = chat.say("Non, directement les pistes")
    text = chat.texts(replies)
    solutions = knowledge.solutions_for("presence_en_ligne")
    assert all(s.title in text for s in solutions) and len(solutions) >= 2  # several kinds of solutions…
    assert typeset("Est-ce que cela répond à votre besoin ?") in text
    detail = next(b["payload"] for b in chat.buttons(replies) if solutions[0].id in b["payload"])
    text = chat.texts(chat.say(detail))  # …each with pros and cons, one tap away
    assert typeset("Avantages :") in text and typeset("Inconvénients :") in text
    where = next(b["payload"] for b in chat.buttons(replies) if "contacts" in b["payload"])
    assert "https://" in chat.texts(chat.say(where))

    assert "Qu'est-ce qui vous manque" in chat.texts(chat.say("pas vraiment"))
    assert "Souhaitez-vous être mis en relation" in chat.texts(chat.say("passer"))
    replies = chat.say("oui")
    assert [b["title"] for b in chat.buttons(replies)] == ["Prendre rendez-vous", "Être rappelé", "Juste vos coordonnées"]


def test_sector_named_by_the_person_is_used_in_the_reformulation(chat):
    text = chat.texts(chat.say("je suis boulangere et jaimerais que mes clients puissent commander en ligne"))
    assert "pour votre activité de boulangère" in text  # spelled right, whatever was typed
    assert catalog.need("nouveaux_services_digitaux").phrase in text


def test_wrong_reformulation_offers_every_need_plus_dont_know_and_human(chat):
    chat.say("comment je declare mon chiffre d'affaires sur le site de l'urssaf")
    replies = chat.say("non pas du tout")
    payloads = [b["payload"] for b in chat.buttons(replies)]
    assert payloads == [f"/{n.id}" for n in catalog.needs()] + ["/dont_know", "/ask_human"]


def test_need_chosen_on_the_menu_is_noted_without_asking_again(chat):
    text = chat.texts(chat.from_menu("/former_salaries"))
    assert "Si je comprends bien" not in text
    assert "c'est noté" in text and catalog.need("former_salaries").phrase in text
    assert "Est-ce que cela répond" in chat.texts(chat.say("non"))
    text = chat.texts(chat.say("oui merci"))
    assert "Pour résumer" in text and catalog.need("former_salaries").phrase in text
    assert knowledge.entry("former_salaries").tip in text
    assert "autre question" in text


def test_nearest_france_services_sites_for_an_online_procedure(chat):
    chat.say("je suis au 69003 et j'arrive pas a faire ma declaration sur le site des impots")
    chat.say("oui")
    replies = chat.say("non")
    where = next(b["payload"] for b in chat.buttons(replies) if "contacts" in b["payload"])
    text = chat.texts(chat.say(where))
    assert "France Services" in text and "Lyon" in text
    assert "ANCT" in text  # the open data is credited where it is shown


def test_gibberish_falls_back_to_the_menu(chat):
    replies = chat.say("zkqj wxv plm")
    assert "pas certain d'avoir bien compris" in chat.texts(replies)
    assert len(chat.buttons(replies)) == 11


def test_right_not_to_know(chat):
    replies = chat.from_menu("/dont_know")
    assert "Ce n'est pas grave" in chat.texts(replies)
    assert chat.buttons(replies)[0]["payload"] == "/ask_human"


def test_out_of_scope_is_explained_and_redirected(chat):
    text = chat.texts(chat.say("je dois licencier un salarié, quelle procédure ?"))
    assert "autre sujet" in text and "parler à une personne" in text
    assert "code.travail.gouv.fr" in text  # the labour-law public service
    text = chat.texts(chat.say("tu aimes le foot ?"))
    assert "autre sujet" in text


def test_bot_challenge_is_answered_honestly(chat):
    assert "pas une personne" in chat.texts(chat.say("vous etes un robot ?"))


def test_ask_human_offers_appointment_callback_or_contact(chat):
    replies = chat.say("je veux parler a quelqu'un svp")
    assert "Que préférez-vous" in chat.texts(replies)
    contact = catalog.service_contact()
    text = chat.texts(chat.say('/ask_human{"mode_contact": "coordonnees"}'))
    assert contact.phone in text and contact.email in text


def test_http_api_needs_the_token(servers):
    assert requests.get(f"{servers.rasa_url}/status", timeout=10).status_code == 401
    ok = requests.get(f"{servers.rasa_url}/status", params={"token": servers.rasa_token}, timeout=10)
    assert ok.status_code == 200 and ok.json()["model_file"]


def test_conversation_is_stored_in_the_tracker_store(chat, servers):
    chat.say("bonjour")
    chat.say("mon ordi rame et je sais pas imprimer")
    from sqlalchemy import text

    from bot.store import db

    with db.engine_for(servers.database_url).connect() as connection:
        types = [
            row[0]
            for row in connection.execute(
                text("select type_name from events where sender_id = :sender order by id"), {"sender": chat.sender}
            )
        ]
    assert types.count("user") == 2
    assert "bot" in types and "slot" in types


def test_the_dossier_holds_the_needs_and_the_transcript(chat, servers):
    import json
    import os
    import subprocess
    import sys

    from bot import paths

    chat.say("bonjour")
    chat.say("je suis plombier et je voudrais un logiciel pour faire mes devis plus vite")
    chat.say("non")
    chat.say("/strategie_numerique")
    chat.say("non merci")  # no questions
    chat.say("non pas vraiment")  # the answer did not help
    chat.say("passer")  # « Qu'est-ce qui vous manque ? »
    env = dict(os.environ, DATABASE_URL=servers.database_url, BOT_VAR_DIR=str(servers.var_dir))
    listing = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bot.ops.cli", "dossiers", "list", "--json"],
            cwd=paths.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    [entry] = [d for d in listing if d["conversation_id"] == chat.sender]
    for key in ["id", "conversation_id", "status", "needs", "redirect", "appointment", "callback", "contact"]:
        assert key in entry
    assert [(n["intent"], n["confirmed"], n["corrected_to"]) for n in entry["needs"]] == [
        ("outils_internes", False, "strategie_numerique"),
        ("strategie_numerique", True, None),
    ]
    assert entry["profile"]["secteur"] == "batiment"
    assert entry["solutions"] == [s.id for s in knowledge.solutions_for("strategie_numerique")]
    assert entry["redirect"] == [] and entry["answered"] is False  # « Où m'adresser ? » never asked: none shown
    shown = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bot.ops.cli", "dossiers", "show", str(entry["id"]), "--json"],
            cwd=paths.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    said = [(line["speaker"], line["text"]) for line in shown["transcript"]]
    assert said[0] == ("personne", "bonjour")
    assert ("personne", "Construire un plan numérique") in said  # the button's title, not its payload
    assert not [text for speaker, text in said if speaker == "personne" and text.startswith("/")]
    assert any(speaker == "assistant" and "Si je comprends bien" in text for speaker, text in said)


def test_the_action_server_only_answers_rasa(servers):
    """Only the Rasa server, which shows ACTION_SERVER_TOKEN, may run actions; health stays open."""
    base = f"http://{servers.bind_host}:{servers.action_port}"
    call = {
        "next_action": "action_human_contact",
        "sender_id": "x",
        "tracker": {"sender_id": "x", "events": []},
        "domain": {},
        "version": "3.6.21",
    }
    assert requests.post(f"{base}/webhook", json=call, timeout=10).status_code == 401
    assert requests.post(f"{base}/webhook", json=call, params={"token": "guess"}, timeout=10).status_code == 401
    assert requests.get(f"{base}/actions", timeout=10).status_code == 401
    assert requests.get(f"{base}/health", timeout=10).status_code == 200
    allowed = requests.post(f"{base}/webhook", json=call, params={"token": servers.action_server_token}, timeout=10)
    assert allowed.status_code == 200 and allowed.json()["responses"][0]["response"] == "utter_human_contact"
