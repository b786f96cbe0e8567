"""Whole conversations typed as on a phone — never a button payload — through the real Rasa
server, action server and database, checking what ends up in the dossier (issue 15)."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from bot import clock, paths
from bot.store import conversations, db, dossiers
from bot.store.tables import Dossier
from tests.support.servers import Chat

NOT_UNDERSTOOD = ("je n'ai pas compris", "Choisissez l'un des boutons", "passons à la suite", "pas reconnu")


def dossier_of(servers, chat) -> dict:
    with db.session(servers.database_url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id=chat.sender).one()
        return dossiers.dossier_as_dict(dossier, now=clock.now())


def transcript_of(servers, chat) -> list[tuple[str, str]]:
    with db.session(servers.database_url) as session:
        return [(line.speaker, line.text) for line in conversations.transcript(session, chat.sender)]


def say(chat, text: str, turns: list[str]) -> str:
    """Type `text`, keep the reply for the misunderstanding count, return it."""
    assert not text.startswith("/"), "typed conversations never send payloads"
    # read like plain text: the typography (narrow no-break spaces before « ? ») is tested in test_french.py
    reply = chat.texts(chat.say(text)).replace("\u202f", " ").replace("\u00a0", " ")
    turns.append(reply)
    return reply


def misunderstood(turns: list[str]) -> list[str]:
    return [t for t in turns if any(words in t for words in NOT_UNDERSTOOD)]


def test_a_need_and_a_call_back_in_one_message_keeps_both(chat, servers):
    turns: list[str] = []
    text = say(chat, "bonjour, la facture électronique je comprends rien du tout, il faut que quelqu'un me rappelle", turns)
    assert "Que préférez-vous" in text  # straight to the human offer, not through eleven questions
    text = say(chat, "rappelez moi svp", turns)
    assert "Êtes-vous d'accord" in text
    say(chat, "ok ça me va", turns)
    say(chat, "Marie", turns)
    text = say(chat, "06 12 34 56 78", turns)
    assert "À quel moment" in text
    text = say(chat, "demain en fin de matinée", turns)
    assert "échéance" in text
    text = say(chat, "avant le 20 décembre", turns)
    assert "20 décembre, c'est bien ça ?" in text  # said back in French, whatever today is
    text = say(chat, "oui c'est ça", turns)
    assert "C'est noté : un médiateur vous rappellera au 06 12 34 56 78, demain" in text
    assert "en fin de matinée" in text and "20 décembre" in text
    assert misunderstood(turns) == []
    dossier = dossier_of(servers, chat)
    [need] = dossier["needs"]
    assert need["intent"] == "demarches_en_ligne" and need["confirmed"] is None and need["confidence"] > 0
    assert "Faire une démarche en ligne" in dossier["summary"] and "demarches_en_ligne" not in dossier["summary"]
    deadline = date.fromisoformat(dossier["callback"]["deadline"])
    assert (deadline.month, deadline.day) == (12, 20)
    assert "en fin de matinée" in dossier["callback"]["preferred_moment"]
    assert dossier["contact"]["name"] == "Marie" and dossier["contact"]["consent_at"]


def test_a_request_for_a_person_naming_a_topic_stores_the_topic_and_books_by_typing(chat, servers):
    turns: list[str] = []
    text = say(chat, "bonjour je voudrais un rendez-vous avec un conseiller pour ma declaration urssaf", turns)
    assert "Que préférez-vous" in text
    dossier = dossier_of(servers, chat)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("demarches_en_ligne", None)]
    assert "Faire une démarche en ligne" in dossier["summary"] and "demarches_en_ligne" not in dossier["summary"]
    assert "Êtes-vous d'accord" in say(chat, "un rendez-vous ce serait bien", turns)
    say(chat, "d'accord allez-y", turns)
    say(chat, "Paul", turns)
    text = say(chat, "paul.martin@exemple.fr", turns)
    assert "Lequel vous convient" in text
    text = say(chat, "le premier", turns)
    assert "C'est réservé" in text
    assert misunderstood(turns) == []
    dossier = dossier_of(servers, chat)
    assert dossier["appointment"] is not None and dossier["contact"]["email"] == "paul.martin@exemple.fr"
    # the console's transcript shows what the person typed, never a payload
    assert not [t for speaker, t in transcript_of(servers, chat) if speaker == "personne" and t.startswith("/")]


def test_the_whole_accompaniment_typed_without_a_single_button(chat, servers):
    turns: list[str] = []
    text = say(chat, "je voudrais que les gens trouvent mon salon de coiffure sur internet", turns)
    assert "C'est bien cela ?" in text
    assert "questions courtes" in say(chat, "oui c'est bien ça", turns)
    assert "nom de votre entreprise" in say(chat, "ok allez y", turns)
    if "votre métier" in say(chat, "Au bon pain", turns):  # a name, even with « bon » in it
        say(chat, "coiffeuse", turns)  # asked only when the trade was not recognised in the first message
    say(chat, "on est 3", turns)
    say(chat, "la patronne", turns)
    say(chat, "je prefere pas", turns)  # postal code
    say(chat, "telephone et mails", turns)
    say(chat, "non pas de site", turns)
    say(chat, "pas le temps", turns)
    say(chat, "bof", turns)
    say(chat, "avec de l'aide", turns)
    text = say(chat, "un truc qui marche pas", turns)
    assert "Est-ce que cela répond à votre besoin ?" in text
    assert "Avantages" in say(chat, "details de la 2", turns)  # the second piste's details, typed
    assert "Qu'est-ce qui vous manque" in say(chat, "pas vraiment", turns)
    assert "Souhaitez-vous être mis en relation" in say(chat, "un exemple pour un metier comme le mien", turns)
    assert "Avez-vous une autre question" in say(chat, "non merci ça ira", turns)
    assert "échéance" in say(chat, "non merci ce sera tout", turns)  # pistes were given: a deadline to act?
    assert "reprenne contact" in say(chat, "non pas de date", turns)
    assert "résumé" in say(chat, "non merci", turns)  # follow-up
    assert "de 1 à 5" in say(chat, "non", turns)  # synthesis by e-mail
    assert "ajouter un mot" in say(chat, "4 sur 5", turns)
    assert "bonne continuation" in say(chat, "non c'est tout", turns)
    assert misunderstood(turns) == []
    dossier = dossier_of(servers, chat)
    assert dossier["needs"][0]["intent"] == "presence_en_ligne" and dossier["needs"][0]["confirmed"] is True
    assert dossier["profile"] == {
        "entreprise": "Au bon pain",
        "secteur": "beaute_bien_etre",
        "effectif": "1-9",
        "role": "dirigeant",
    }
    assert dossier["maturity_level"] == 1 and dossier["skill_level"] == "intermediaire" and dossier["nature"] == "technique"
    assert dossier["answered"] is False and dossier["satisfaction"] == 4 and dossier["follow_up"] is False


def test_no_question_is_asked_a_third_time_and_passer_gets_out(chat, servers):
    assert "Que préférez-vous" in chat.texts(chat.say("je veux parler à quelqu'un"))
    assert "Que préférez-vous" in chat.texts(chat.say("je veux parler a quelqu un svp"))
    text = chat.texts(chat.say("je veux parler à une personne"))
    assert "Que préférez-vous" not in text and "01 00 00 00 00" in text  # the team's contact instead
    chat.say("zkqj wxv plm")
    replies = chat.say("zkqj wxv plm")
    assert "Je n'arrive pas à bien vous comprendre" in chat.texts(replies)
    titles = [b["title"] for b in chat.buttons(replies)]
    assert "Parler à une personne" in titles and "Passer" in titles and "Former mon équipe" in titles
    assert "Avez-vous une autre question" in chat.texts(chat.say("passer"))


def test_two_equally_close_buttons_are_asked_about_and_a_plain_request_gets_no_topic(chat, servers):
    turns: list[str] = []
    assert "Que préférez-vous" in say(chat, "je voudrais parler a quelqu'un svp", turns)
    replies = chat.say("votre numero de telephone")  # the call back, or the team's number?
    turns.append(chat.texts(replies))
    assert "vous voulez dire" in turns[-1]
    assert len(chat.buttons(replies)) == 2  # only the two close ones, as buttons
    assert "Êtes-vous d'accord" in say(chat, "qu'on me rappelle plutot", turns)
    say(chat, "oui", turns)
    say(chat, "Léa", turns)
    say(chat, "06 98 76 54 32", turns)
    say(chat, "le matin", turns)
    assert "C'est noté" in say(chat, "pas de date precise", turns)
    assert misunderstood(turns) == [], turns
    assert dossier_of(servers, chat)["needs"] == []  # « parler à quelqu'un » names no topic


# --- held-out conversations: a person who answers whatever is asked, in their own words ---------------

HELD_OUT = paths.TESTS / "typed_conversations_heldout.yml"
GOODBYE = "bonne continuation"
MAX_TURNS = 30


def held_out_conversations() -> list[dict]:
    return yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))["conversations"]


def answer_to(reply: str, answers: dict[str, str]) -> str | None:
    """What the person types: the answer to the question asked last in the assistant's reply."""
    asked = [(reply.rfind(fragment), typed) for fragment, typed in answers.items() if fragment in reply]
    return max(asked)[1] if asked else None


def play(chat, conversation: dict) -> list[str]:
    turns: list[str] = []
    reply = say(chat, conversation["first"], turns)
    while GOODBYE not in reply:
        typed = answer_to(reply, conversation["answers"])
        assert typed is not None, f"no answer written for « {reply} » after {turns}"
        assert len(turns) < MAX_TURNS, f"{conversation['name']}: the conversation does not end"
        reply = say(chat, typed, turns)
    return turns


def outcome_problems(servers, chat, expect: dict) -> list[str]:
    """What the stored dossier lacks of the outcome the conversation should reach."""
    dossier, problems = dossier_of(servers, chat), []
    needs = {n["intent"]: n for n in dossier["needs"]}
    if "need" in expect and expect["need"] not in needs:
        problems.append(f"need {expect['need']} not in {list(needs)}")
    elif expect.get("confirmed") and needs[expect["need"]]["confirmed"] is not True:
        problems.append("need not confirmed")
    problems += [
        f"{key} {dossier['profile'].get(key)}"
        for key in ("effectif", "role")
        if key in expect and dossier["profile"].get(key) != expect[key]
    ]
    problems += [
        f"{key} {dossier[key]}"
        for key in ("answered", "satisfaction", "missing")
        if key in expect and dossier[key] != expect[key]
    ]
    problems += [f"no {key}" for key in ("appointment", "callback") if expect.get(key) and dossier[key] is None]
    given = dossier["answers"] or {}
    problems += [  # the situation questions (data/situation.yml), stored with the questionnaire's answers
        f"situation {key} {given.get(key)}" for key, value in (expect.get("situation") or {}).items() if given.get(key) != value
    ]
    contact = dossier["contact"] or {}
    if ("email" in expect or expect.get("phone")) and not contact.get("consent_at"):
        problems.append("contact without consent")
    if "email" in expect and contact.get("email") != expect["email"]:
        problems.append(f"email {contact.get('email')}")
    if expect.get("phone") and not contact.get("phone"):
        problems.append("no phone")
    return problems


# Understanding does not depend on the database: the held-out set is played once, on
# the embedded default; the whole accompaniment above checks the stored dossier on both databases.
@pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)
def test_held_out_typed_conversations_reach_their_outcome_and_are_understood(servers):
    problems, missed, total = {}, 0, 0
    for conversation in held_out_conversations():
        chat = Chat(servers)
        try:
            turns = play(chat, conversation)
        except AssertionError as stuck:
            problems[conversation["name"]] = [str(stuck)]
            continue
        missed, total = missed + len(misunderstood(turns)), total + len(turns)
        found = outcome_problems(servers, chat, conversation["expect"])
        if found:
            problems[conversation["name"]] = found + turns
    print(
        f"\nheld-out typed conversations: {len(held_out_conversations()) - len(problems)}/"
        f"{len(held_out_conversations())} reach their outcome; {missed}/{total} turns not understood"
    )
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())
    assert missed <= 0.05 * total
