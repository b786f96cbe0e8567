"""« Plutôt A ou plutôt B ? » through the real servers (issue 28): a first message the model reads
between two needs gets the question, the typed answer picks one, the dossier holds it confirmed and
the first message reaches the review inbox."""

from __future__ import annotations

from bot.store import db, dossiers
from bot.store.tables import FirstMessage
from tests.support.servers import Chat

# Read by the model between « outils_internes » (0.37) and « demarches_en_ligne » (0.34), a fallback
# (measured on 2026-12-07 with the model of the NLU data of that day).
HESITANT = "facture TVA"


def plain(replies: list[dict]) -> str:
    """The texts, French typography's narrow spaces read as spaces."""
    return Chat.texts(replies).replace("\u00a0", " ").replace("\u202f", " ")


def test_two_close_needs_are_asked_and_a_typed_answer_picks_one(servers):
    chat = Chat(servers)
    replies = chat.say(HESITANT)
    said = plain(replies)
    asked = "Votre demande porte plutôt sur « Améliorer nos outils de travail » ou plutôt sur « Faire une démarche en ligne » ?"
    assert asked in said
    assert [b["title"] for b in Chat.buttons(replies)] == [
        "Améliorer nos outils de travail",
        "Faire une démarche en ligne",
        "Autre chose",
    ]

    replies = chat.say("plutôt la deuxième")
    assert "Merci, c'est noté : vous souhaitez faire une démarche administrative sur internet." in plain(replies)
    assert "Si je comprends bien" not in plain(replies)

    with db.session(servers.database_url) as session:
        dossier = dossiers.by_conversation(session, chat.sender)
        assert [(n.intent, n.confirmed) for n in dossier.needs] == [("demarches_en_ligne", True)]
        first = session.query(FirstMessage).filter_by(conversation_id=chat.sender).one()
        assert (first.text, first.reading) == (HESITANT, "menu")


def test_autre_chose_typed_gives_the_menu_and_a_person_can_be_asked(servers):
    other, person = Chat(servers), Chat(servers)
    other.say(HESITANT)
    replies = other.say("autre chose")
    assert "quel sujet correspond le mieux à votre demande" in plain(replies)
    assert len(Chat.buttons(replies)) == 11  # the nine needs, « Autre chose / je ne sais pas », a person

    person.say(HESITANT)
    replies = person.say("je préfère parler à quelqu'un")
    assert "Une personne de l'équipe de médiation peut prendre le relais." in plain(replies), replies


def test_a_need_read_unsurely_next_to_another_gets_the_question_too(servers):
    # read « demarches_en_ligne » 0.37, « outils_internes » 0.30: no fallback, but not sure enough to say back
    chat = Chat(servers)
    replies = chat.say("ma facture avec la TVA")
    assert "Si je comprends bien" not in plain(replies)
    assert [b["payload"] for b in Chat.buttons(replies)] == ["/demarches_en_ligne", "/outils_internes", "/nlu_fallback"]
    replies = chat.click("/outils_internes", replies)
    assert "Merci, c'est noté : vous souhaitez mieux vous organiser avec des outils numériques." in plain(replies)
    with db.session(servers.database_url) as session:
        dossier = dossiers.by_conversation(session, chat.sender)
        assert [(n.intent, n.confirmed) for n in dossier.needs] == [("outils_internes", True)]


def test_the_question_answered_in_words_never_a_button(servers):
    """Typed as on a phone: « plutot une demarche » picks the need it names, « aucun des deux » the
    menu; the dossier holds only what was chosen. (« plutot la facture » names neither option: the
    model's reading decides, outils_internes with the model of 2026-12-07.)"""
    chat = Chat(servers)
    chat.say(HESITANT)
    replies = chat.say("plutot une demarche")
    assert "Merci, c'est noté : vous souhaitez faire une démarche administrative sur internet." in plain(replies)
    with db.session(servers.database_url) as session:
        dossier = dossiers.by_conversation(session, chat.sender)
        assert [(n.intent, n.confirmed) for n in dossier.needs] == [("demarches_en_ligne", True)]

    neither = Chat(servers)
    neither.say(HESITANT)
    replies = neither.say("non aucun des deux")
    assert "quel sujet correspond le mieux à votre demande" in plain(replies)
    assert len(Chat.buttons(replies)) == 11
    with db.session(servers.database_url) as session:
        dossier = dossiers.by_conversation(session, neither.sender)
        assert dossier is None or dossier.needs == []

    unsure = Chat(servers)
    unsure.say("ma facture avec la TVA")
    replies = unsure.say("plutot les outils de travail")
    assert "Merci, c'est noté : vous souhaitez mieux vous organiser avec des outils numériques." in plain(replies)
    with db.session(servers.database_url) as session:
        dossier = dossiers.by_conversation(session, unsure.sender)
        assert [(n.intent, n.confirmed) for n in dossier.needs] == [("outils_internes", True)]
