"""Issue 27 §3 through the real servers: « vous rappellera » to someone who gave a phone number
(« vous écrira » with an e-mail only: test_handover_rest.py), and a postal code typed outside the
questionnaire gives the nearest France Services sites with their opening hours."""

from __future__ import annotations

from bot import clock
from bot.domain import france_services
from bot.store import db, dossiers
from bot.store.tables import Dossier
from tests.support.servers import Chat


def test_a_call_back_with_a_phone_number_says_rappellera(chat, servers):
    chat.ask_human("rappel")
    chat.say("oui")
    chat.say("Paul")
    assert "À quel moment" in chat.texts(chat.say("06 12 34 56 78"))
    chat.say("le matin")
    text = chat.texts(chat.say("pas d'échéance"))
    assert "un médiateur vous rappellera au 06 12 34 56 78, le matin." in text.replace("\u00a0", " ")
    assert "écrira" not in text


def test_a_postal_code_typed_in_a_question_gives_the_nearest_france_services_with_their_hours(chat, servers):
    chat.say("bonjour")
    text = chat.texts(chat.say("je suis à Lyon 69003, où aller ?")).replace("\u00a0", " ").replace("\u202f", " ")
    nearest = france_services.nearest("69003")[:2]
    assert "Près de chez vous, un espace France Services" in text
    for site in nearest:
        assert site.name in text and site.phone in text
    assert text.count("Horaires : lundi de 9 h") == 2
    assert "mise à jour du 1er août 2024" in text


def test_a_private_individual_is_sent_to_france_services(chat, servers):
    chat.say("bonjour")
    text = chat.texts(chat.say("je suis un particulier et je n'arrive pas à déclarer mes impôts en ligne"))
    assert "• France Services" in text and "code postal" in text
    assert "impots.gouv.fr" not in text


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _dossier(servers, conversation: str) -> dict:
    with db.session(servers.database_url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id=conversation).one()
        return dossiers.dossier_as_dict(dossier, now=clock.now())


def _call_back_form(chat: Chat, contact: str, moment: str, deadline: str) -> str:
    """The call-back form answered by typing, from the consent on: the last turn's text."""
    for answer in ("oui", "Paul", contact, moment):
        chat.say(answer)
    return _plain(chat.texts(chat.say(deadline)))


def test_a_call_back_asked_in_words_says_rappellera_or_ecrira_and_is_stored(servers):
    """Typed as on a phone, no button: « vous rappellera » with a phone, « vous écrira » with an e-mail."""
    by_phone = Chat(servers)
    assert "Que préférez-vous" in _plain(by_phone.texts(by_phone.say("je voudrais qu on me rappelle svp")))
    assert "Êtes-vous d'accord" in _plain(by_phone.texts(by_phone.say("rappelez moi")))
    text = _call_back_form(by_phone, "06 12 34 56 78", "le matin", "non aucune")
    assert "un médiateur vous rappellera au 06 12 34 56 78, le matin." in text and "écrira" not in text
    dossier = _dossier(servers, by_phone.sender)
    assert dossier["callback"]["preferred_moment"] == "le matin"
    assert dossier["contact"]["phone"] == "+33612345678" and dossier["contact"]["consent_at"]

    by_mail = Chat(servers)
    by_mail.say("je voudrais qu on me rappelle svp")
    by_mail.say("rappelez moi")
    text = _call_back_form(by_mail, "paul.martin@orange.fr", "l apres midi", "pas de date")
    assert "un médiateur vous écrira à paul.martin@orange.fr" in text and "rappellera" not in text
    dossier = _dossier(servers, by_mail.sender)
    assert dossier["callback"] is not None and dossier["contact"]["email"] == "paul.martin@orange.fr"
    assert dossier["contact"]["phone"] is None


def test_a_postal_code_typed_after_the_pistes_gives_france_services_and_the_dossier_says_so(chat, servers):
    """Typed, no button: the pistes first, then « je suis a lyon 69003 ou aller »."""
    chat.say("j arrive pas a faire ma declaration sur le site des impots")
    chat.say("oui")
    assert "répond à votre besoin" in _plain(chat.texts(chat.say("non")))
    text = _plain(chat.texts(chat.say("je suis a lyon 69003 ou aller ?")))
    assert "Près de chez vous, un espace France Services" in text
    for site in france_services.nearest("69003")[:2]:
        assert site.name in text
    assert "france_services" in _dossier(servers, chat.sender)["redirect"]
