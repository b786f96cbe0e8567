"""A request for a person is never lost (issue 28): typed anywhere — with a need in the first message,
inside the questionnaire, at a yes/no question of the website chat, after the pistes, during the
leave-taking questions — it is honoured next. The need is kept in the dossier, the form is left, the
handover choice is the only question of that turn, and the call back asked for is stored.

Typed text only (never a payload), through the real Rasa and action servers and the database.
"""

from __future__ import annotations

import pytest

from bot import clock
from bot.store import db, dossiers
from bot.store.tables import Dossier
from tests.support.visitor import Visitor

HANDOVER_CHOICE = "Que préférez-vous ?"


def plain(text: str) -> str:
    """Read like plain text: the typography (no-break spaces before « ? ») is tested elsewhere."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def say(chat, text: str) -> str:
    assert not text.startswith("/"), "typed conversations never send payloads"
    return plain(chat.texts(chat.say(text)))


def dossier_of(servers, conversation: str) -> dict:
    with db.session(servers.database_url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id=conversation).one()
        return dossiers.dossier_as_dict(dossier, now=clock.now())


def assert_handover_choice_alone(turn: str) -> None:
    """The turn asks how to reach a person, and nothing else."""
    assert HANDOVER_CHOICE in turn, turn
    assert turn.count("?") == 1, f"another question in the same turn: {turn}"


def ask_for_a_call_back(send) -> None:
    """Choose the call back at « Que préférez-vous ? » and answer its questions, typing."""
    assert "Êtes-vous d'accord" in send("rappelez moi plutot")
    send("oui d'accord")
    send("Nadia")
    assert "À quel moment" in send("06 12 34 56 78")
    assert "échéance" in send("le matin")
    assert "C'est noté" in send("pas de date precise")


def test_a_need_and_a_call_back_in_the_first_message(chat, servers):
    turn = say(chat, "bonjour, la facture électronique je n'y comprends rien, que quelqu'un me rappelle svp")
    assert_handover_choice_alone(turn)
    assert "C'est bien cela" not in turn
    ask_for_a_call_back(lambda text: say(chat, text))
    dossier = dossier_of(servers, chat.sender)
    assert [n["intent"] for n in dossier["needs"]] == ["demarches_en_ligne"]  # the need it came with, kept
    assert dossier["callback"] is not None and dossier["contact"]["phone"]


def test_a_request_for_a_person_in_the_questionnaire_leaves_it_and_coming_back_is_offered(chat, servers):
    assert "C'est bien cela" in say(chat, "je voudrais que les gens trouvent ma boulangerie sur internet")
    assert "questions courtes" in say(chat, "oui c'est ça")
    assert "nom de votre entreprise" in say(chat, "oui allez y")
    say(chat, "Aux bons pains")
    replies = chat.say("finalement j'aimerais mieux parler à quelqu'un")
    turn = plain(chat.texts(replies))
    assert_handover_choice_alone(turn)
    assert "Reprendre les questions" in [b["title"] for b in chat.buttons(replies)]  # offered, not forced
    ask_for_a_call_back(lambda text: say(chat, text))
    dossier = dossier_of(servers, chat.sender)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("presence_en_ligne", True)]
    assert dossier["profile"].get("entreprise") == "Aux bons pains"  # what was answered stays
    assert dossier["callback"] is not None


def test_the_questions_left_for_a_person_can_be_taken_up_again(chat):
    say(chat, "je voudrais que les gens trouvent mon garage sur internet")
    say(chat, "oui")
    say(chat, "ok allez y")
    asked = say(chat, "Garage du centre")
    assert_handover_choice_alone(say(chat, "en fait je prefere qu'on m'appelle"))
    assert say(chat, "reprendre les questions").strip() == asked.strip()  # the question it stopped at, asked again
    assert_handover_choice_alone(say(chat, "finalement je voudrais parler à un conseiller"))
    assert say(chat, "non merci").strip() == asked.strip()  # no person after all: back to the questions


@pytest.mark.parametrize("server_settings", ["sqlite"], indirect=True)
def test_a_call_back_typed_at_a_yes_no_question_of_the_website_chat(servers):
    from bot.web import conversation_ids

    visitor = Visitor(servers)
    try:
        conversation = conversation_ids.conversation_of(servers.conversation_secret, visitor.start())

        def send(text: str) -> str:
            first = visitor.say(text)
            rest = [data.get("text", "") for event, data in visitor.quiet(2.5) if event == "bot_uttered"]
            return plain("\n".join([first, *rest]))

        assert "C'est bien cela" in send("je voudrais que mes clients me trouvent sur google pour mon salon")
        assert "quelques questions courtes" in send("oui")
        turn = send("qu'on me rappelle")
        assert_handover_choice_alone(turn)
        assert "quelques questions courtes" not in turn
        turn = send("oui")  # no choice: asked again, and the questionnaire does not start
        assert_handover_choice_alone(turn)
        assert "quelques questions courtes" not in turn and "nom de votre entreprise" not in turn
        ask_for_a_call_back(send)
    finally:
        visitor.close()
    dossier = dossier_of(servers, conversation)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("presence_en_ligne", True)]
    assert dossier["callback"] is not None and dossier["maturity_level"] is None  # no questionnaire started


def test_a_request_for_a_person_after_the_pistes(chat, servers):
    say(chat, "je suis fleuriste et je voudrais un logiciel pour mes factures")
    say(chat, "oui")
    assert "répond à votre besoin" in say(chat, "non direct les pistes svp")
    assert_handover_choice_alone(say(chat, "j'aimerais bien que quelqu'un me rappelle pour en parler"))
    ask_for_a_call_back(lambda text: say(chat, text))
    dossier = dossier_of(servers, chat.sender)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("outils_internes", True)]
    assert dossier["callback"] is not None


def test_a_request_for_a_person_during_the_leave_taking_questions(chat, servers):
    say(chat, "je suis fleuriste et je voudrais un logiciel pour mes factures")
    say(chat, "oui")
    say(chat, "non direct les pistes svp")
    say(chat, "oui merci")
    assert "échéance" in say(chat, "non merci ce sera tout")
    assert_handover_choice_alone(say(chat, "en fait je voudrais parler a un conseiller"))
    ask_for_a_call_back(lambda text: say(chat, text))
    assert dossier_of(servers, chat.sender)["callback"] is not None


def test_the_questions_taken_up_again_are_stored_and_no_call_back_is_asked(chat, servers):
    say(chat, "je voudrais que les gens trouvent mon garage sur internet")
    say(chat, "oui")
    say(chat, "ok allez y")
    assert "Combien de personnes" in say(chat, "Garage du centre")  # the trade was in the first message
    assert_handover_choice_alone(say(chat, "en fait je prefere qu'on m'appelle"))
    assert "Combien de personnes" in say(chat, "reprendre les questions")
    turn = say(chat, "seul sans salarie")
    for _ in range(12):  # the rest skipped, typing, until the pistes
        if "répond à votre besoin" in turn:
            break
        turn = say(chat, "passer")
    assert "répond à votre besoin" in turn
    dossier = dossier_of(servers, chat.sender)
    assert [(n["intent"], n["confirmed"]) for n in dossier["needs"]] == [("presence_en_ligne", True)]
    assert dossier["profile"].get("entreprise") == "Garage du centre"
    assert dossier["profile"].get("effectif") == "seul"  # answered after taking the questions up again
    assert dossier["callback"] is None and dossier["contact"]["phone"] is None  # a person offered, none asked
