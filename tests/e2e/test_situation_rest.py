"""The business's situation (data/situation.yml) asked at the end of the questionnaire, typed as on
a phone through the real Rasa and action servers: only for a need that calls for it, understood in
the person's words, a request for a person there pausing the questions, stored in the dossier and
read back in words on the console's dossier page and by `bot dossiers show`."""

from __future__ import annotations

import re

from bot import clock
from bot.domain import maturity, situation
from bot.store import db, dossiers
from bot.store.tables import Dossier
from tests.support.dossier_reading import read_back
from tests.support.servers import Chat

INVOICING_TOOL = "je cherche un logiciel pour faire mes factures electroniques"  # read: outils_internes
E_INVOICING = "je dois passer a la facture electronique je sais pas par ou commencer"  # read: demarches_en_ligne
SITUATION_IDS = {a["id"] for q in situation.questions() for a in q["answers"] if "_" in a["id"]}


def say(chat: Chat, text: str, turns: list[str]) -> str:
    assert not text.startswith("/"), "typed, never a payload"
    reply = chat.texts(chat.say(text)).replace("\u202f", " ").replace("\u00a0", " ")
    turns.append(reply)
    return reply


def stored(servers, chat: Chat) -> dict:
    with db.session(servers.database_url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id=chat.sender).one()
        return dossiers.dossier_as_dict(dossier, now=clock.now())


def plain_question(question_id: str) -> str:
    text = situation.question(question_id)["text"]
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_an_invoicing_tool_need_answers_the_situation_by_typing_and_the_dossier_says_it(servers, monkeypatch, capsys):
    chat, turns = Chat(servers), []
    assert "C'est bien cela" in say(chat, INVOICING_TOOL, turns)
    assert "questions courtes" in say(chat, "oui c ca", turns)
    assert "nom de votre entreprise" in say(chat, "ok", turns)
    assert "votre métier" in say(chat, "Boulangerie Martin", turns)
    assert "Combien de personnes" in say(chat, "boulangere", turns)
    say(chat, "moi et 2 salaries", turns)
    say(chat, "la gerante", turns)
    assert maturity.questionnaire()["questions"][0]["text"].split()[0] in say(chat, "69003", turns)
    for typed in ("tel et mails", "une page facebook", "pas le temps", "bof", "avec de l'aide"):
        say(chat, typed, turns)
    assert plain_question("forme_juridique") in say(chat, "un outil", turns)  # after the maturity questions
    assert plain_question("expert_comptable") in say(chat, "auto entrepreneur", turns)
    # a request for a person at a situation question pauses the questions, and they can be taken up again
    replies = chat.say("je préfère parler à quelqu'un")
    assert "Que préférez-vous" in chat.texts(replies)
    assert "Reprendre les questions" in [b["title"] for b in chat.buttons(replies)]
    assert plain_question("expert_comptable") in say(chat, "reprendre les questions", turns)
    assert plain_question("tva") in say(chat, "j'ai un comptable", turns)
    text = say(chat, "pas de tva", turns)
    assert "Est-ce que cela répond à votre besoin ?" in text
    assert not [t for t in turns if "je n'ai pas compris" in t or "passons à la suite" in t], turns
    assert not [t for t in turns if any(other in t for other in (plain_question("equipement"), plain_question("acces_espaces")))]

    dossier = stored(servers, chat)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("outils_internes", True)]
    assert {k: dossier["answers"][k] for k in ("forme_juridique", "expert_comptable", "tva")} == {
        "forme_juridique": "micro_entreprise",
        "expert_comptable": "oui",
        "tva": "franchise",
    }
    assert "equipement" not in dossier["answers"] and "acces_espaces" not in dossier["answers"]
    assert dossier["callback"] is None and dossier["appointment"] is None  # a person offered, none asked
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    for said in (on_page, in_cli):
        assert re.search(
            r"Situation(?: :)? forme juridique : micro-entreprise \(auto-entrepreneur\); expert-comptable : oui; "
            r"TVA : ne facture pas la TVA \(franchise en base\)",
            said,
        ), said
        assert not SITUATION_IDS & set(re.findall(r"[\w-]+", said)), said


def skip_to_the_accountant_question(chat: Chat, turns: list[str]) -> str:
    """E-invoicing typed, the questionnaire accepted, its profile and maturity questions skipped by
    typing « passer » (at most 12 times): the last reply, which should ask about the accountant."""
    assert "faire une démarche administrative sur internet" in say(chat, E_INVOICING, turns)
    assert "questions courtes" in say(chat, "oui", turns)
    text = say(chat, "oui", turns)
    for _ in range(12):
        if plain_question("expert_comptable") in text:
            break
        text = say(chat, "passer", turns)
    return text


def test_e_invoicing_read_as_an_online_procedure_asks_accountant_vat_and_login(servers, monkeypatch, capsys):
    chat, turns = Chat(servers), []
    text = skip_to_the_accountant_question(chat, turns)
    assert plain_question("expert_comptable") in text
    assert plain_question("tva") in say(chat, "non je fais tout moi meme", turns)
    assert plain_question("acces_espaces") in say(chat, "jsp", turns)
    assert "Est-ce que cela répond à votre besoin ?" in say(chat, "j'ai perdu mon mot de passe", turns)
    dossier = stored(servers, chat)
    assert [n["intent"] for n in dossier["needs"]] == ["demarches_en_ligne"]
    assert {k: dossier["answers"].get(k, "absent") for k in ("forme_juridique", "expert_comptable", "tva", "acces_espaces")} == {
        "forme_juridique": "absent",  # not asked for this need
        "expert_comptable": "non",
        "tva": "ne_sait_pas",
        "acces_espaces": "bloque",
    }
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    for said in (on_page, in_cli):
        assert (
            "expert-comptable : non; TVA : ne sait pas; accès aux espaces professionnels : mots de passe perdus ou compte bloqué"
        ) in said, said
        assert "forme juridique" not in said


def test_a_need_that_calls_for_no_situation_question_asks_none_and_a_declined_questionnaire_neither(servers):
    chat, turns = Chat(servers), []
    assert "C'est bien cela" in say(chat, "je voudrais que les gens trouvent mon salon de coiffure sur internet", turns)
    assert "questions courtes" in say(chat, "oui", turns)
    text = say(chat, "oui allons y", turns)
    for _ in range(15):  # skipped, typing, until the pistes
        if "Est-ce que cela répond" in text:
            break
        text = say(chat, "passer", turns)
    assert "Est-ce que cela répond" in text
    assert not [t for t in turns if any(plain_question(q["id"]) in t for q in situation.questions())], turns
    dossier = stored(servers, chat)
    assert dossier["answers"] is not None and not set(dossier["answers"]) & {q["id"] for q in situation.questions()}
    assert dossier["maturity_level"] == 1 and "Situation" not in dossier["summary"]

    declined, turns = Chat(servers), []
    assert "C'est bien cela" in say(declined, E_INVOICING, turns)
    assert "questions courtes" in say(declined, "oui", turns)
    assert "Est-ce que cela répond" in say(declined, "non direct les pistes", turns)  # no question, situation included
    assert stored(servers, declined)["answers"] is None


def test_a_blocked_account_typed_at_the_login_question_is_stored_but_raises_no_cyber_alarm(servers):
    """« compte bloqué » answers the login question: a login problem, stored as such, not « attaque
    informatique en cours » (data/synthesis.yml, not_cyber_in_answer_to): no urgent flag on the
    dossier, and the queue does not list it as urgent."""
    from bot.store import casework

    chat, turns = Chat(servers), []
    skip_to_the_accountant_question(chat, turns)
    assert plain_question("tva") in say(chat, "non", turns)
    assert plain_question("acces_espaces") in say(chat, "jsp", turns)
    assert "Est-ce que cela répond à votre besoin ?" in say(chat, "compte bloqué", turns)
    dossier = stored(servers, chat)
    assert dossier["answers"]["acces_espaces"] == "bloque"
    assert dossier["synthesis"]["urgent"] == []
    with db.session(servers.database_url) as session:
        listed = [e for e in casework.queue(session, now=clock.now()) if e.dossier.conversation_id == chat.sender]
    assert all(not e.urgent for e in listed)
