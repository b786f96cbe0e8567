"""The optional questions: profile, maturity and the situation the need calls for, through the real
servers; stored in the dossier."""

from __future__ import annotations

from bot import clock
from bot.domain import maturity, situation
from bot.store import db, dossiers


def dossier_of(servers, chat) -> dict:
    with db.session(servers.database_url) as session:
        return dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())


def test_all_questions_answered_with_buttons(chat, servers):
    chat.say("je voudrais que mon garage soit plus visible sur internet")
    replies = chat.say("oui")
    assert "quelques questions courtes" in chat.texts(replies)
    assert "nom de votre entreprise" in chat.texts(chat.say("oui"))
    # the trade was in the first message (« mon garage »): not asked again
    assert "Combien de personnes" in chat.texts(chat.say("Garage <b>Dupont</b> & fils"))
    assert "votre rôle" in chat.texts(chat.say("1 à 9 salariés"))
    assert "code postal" in chat.texts(chat.say("Dirigeant(e)"))
    replies = chat.say("33000")
    questions = maturity.questionnaire()["questions"]
    for question in questions:
        assert question["text"] in chat.texts(replies)
        titles = [b["title"] for b in chat.buttons(replies)]
        assert titles == [a["title"] for a in question["answers"]]
        replies = chat.say(question["answers"][-2]["title"])  # the highest answer before « je ne sais pas »
    text = chat.texts(replies)
    assert "Numérique au quotidien" in text and "Pix" in text
    assert "Est-ce que cela répond" in text
    dossier = dossier_of(servers, chat)
    assert dossier["maturity_level"] == 4 and dossier["skill_level"] == "avance"
    assert dossier["nature"] == "strategique"
    assert dossier["profile"]["effectif"] == "1-9" and dossier["profile"]["role"] == "dirigeant"
    assert dossier["profile"]["code_postal"] == "33000"
    assert dossier["profile"]["secteur"] == "artisanat_production"
    assert dossier["profile"]["entreprise"] == "Garage <b>Dupont</b> & fils"  # stored as typed


def test_questions_can_be_declined_or_skipped(chat, servers):
    chat.say("comment je fais ma declaration urssaf en ligne")
    chat.say("oui")
    text = chat.texts(chat.say("non"))
    assert "Est-ce que cela répond" in text and "Combien de personnes" not in text
    assert dossier_of(servers, chat)["maturity_level"] is None


def test_wrong_postal_code_twice_moves_on_and_skipped_answers(chat, servers):
    chat.from_menu("/outils_internes")
    assert "nom de votre entreprise" in chat.texts(chat.say("oui"))
    assert "Quel est votre métier" in chat.texts(chat.say("Je préfère ne pas répondre"))  # not known yet: asked
    assert "Je n'ai pas reconnu ce métier" in chat.texts(chat.say("euh"))
    assert "Combien de personnes" in chat.texts(chat.say("on est fleuristes"))
    chat.say("Je préfère ne pas répondre")
    chat.say("Je préfère ne pas répondre")
    assert "5 chiffres" in chat.texts(chat.say("lyon"))
    replies = chat.say("pas sur")
    assert "passons à la suite" in chat.texts(replies)
    assert maturity.questionnaire()["questions"][0]["text"] in chat.texts(replies)
    for _ in maturity.questionnaire()["questions"]:
        replies = chat.say("Je ne sais pas")
    # then the situation questions an outils_internes need calls for (data/situation.yml)
    for question in situation.for_need("outils_internes"):
        assert question["text"] in chat.texts(replies)
        replies = chat.say("Je ne sais pas")
    assert "Premiers pas" in chat.texts(replies)
    dossier = dossier_of(servers, chat)
    assert dossier["maturity_level"] == 1 and dossier["profile"] == {"secteur": "commerce"}
    assert {q["id"]: dossier["answers"][q["id"]] for q in situation.for_need("outils_internes")} == {
        q["id"]: "ne_sait_pas" for q in situation.for_need("outils_internes")
    }
