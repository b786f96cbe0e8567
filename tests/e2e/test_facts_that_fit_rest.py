"""Issue 27 §3 through the real servers: « vous rappellera » to someone who gave a phone number
(« vous écrira » with an e-mail only: test_handover_rest.py), and a postal code typed outside the
questionnaire gives the nearest France Services sites with their opening hours."""

from __future__ import annotations

from bot.domain import france_services


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
