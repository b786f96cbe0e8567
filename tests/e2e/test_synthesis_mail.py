"""The synthesis of the exchange asked for by typing at leave-taking (issue 17), a whole conversation
over the REST webhook with the servers' mail sender and a real local SMTP server (aiosmtpd). What
the mail says, to whom and how often, from the store: tests/unit/mail/test_synthesis_mail.py."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from bot.domain import knowledge
from bot.store import db, dossiers
from tests.support.servers import Chat
from tests.support.smtp_server import body

NOW = datetime(2030, 1, 8, 10, 0, tzinfo=timezone.utc)  # when the dossier is read back; never today's date


def say(chat: Chat, text: str) -> str:
    assert not text.startswith("/"), "typed, never a payload"
    return chat.texts(chat.say(text)).replace("\u202f", " ").replace("\u00a0", " ")


def test_the_synthesis_asked_for_by_typing_at_leave_taking_arrives_by_mail(stack):
    group, smtp = stack
    chat = Chat(group.settings)
    say(chat, "je voudrais que les gens trouvent mon salon sur internet, personne me connait")
    say(chat, "oui")
    assert "Est-ce que cela répond à votre besoin ?" in say(chat, "non directement les pistes")
    assert "Pour résumer" in say(chat, "oui merci")
    assert "échéance" in say(chat, "non merci c'est tout")
    assert "reprenne contact avec vous vers le" in say(chat, "pas vraiment, rien de précis")
    assert "résumé de notre échange" in say(chat, "non pas besoin")
    text = say(chat, "oui envoyez-le moi par mail")
    assert "Pour vous envoyer le résumé, nous gardons votre adresse e-mail" in text and "Êtes-vous d'accord ?" in text
    assert "À quelle adresse e-mail" in say(chat, "d'accord")
    assert "Il me faut une adresse e-mail" in say(chat, "06 12 34 56 78")  # a phone is not an address
    assert "de 1 à 5" in say(chat, "claire.martin@example.org")
    assert "ajouter un mot" in say(chat, "4")
    text = say(chat, "non merci")
    assert "Le résumé de notre échange part à l'adresse claire.martin@example.org." in text
    assert "bonne continuation" in text

    def arrived():
        return smtp.to("claire.martin@example.org")

    deadline = time.monotonic() + 60
    while not arrived() and time.monotonic() < deadline:
        time.sleep(0.5)
    [mail] = arrived()
    text = body(mail)
    with db.session(group.settings.database_url) as session:
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=NOW)
    assert dossier["contact"]["email"] == "claire.martin@example.org" and dossier["contact"]["consent_at"]
    assert dossier["follow_up"] is False and dossier["satisfaction"] == 4
    for solution in dossier["solutions"]:
        assert knowledge.solution("presence_en_ligne", solution).title in text
    assert "Où vous adresser" not in text and "Un conseil" in text  # no structure was shown in the chat
    assert "Ce que vous nous avez écrit" in text and "personne me connait" in text  # their own words
    assert "<p>Bonjour,</p>" in body(mail, "html")
    time.sleep(6)  # more passes of the sender: nothing sent twice
    assert len(arrived()) == 1
    with db.session(group.settings.database_url) as session:  # the console and `bot dossiers show` say so
        assert (
            dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=NOW)["synthesis_mail"]["status"]
            == "sent"
        )
