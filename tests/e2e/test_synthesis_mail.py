"""The synthesis of the exchange, asked for at leave-taking (issue 17, « à la demande en fin
d'échange »): queued once, sent only with consent and only to the address given, plain text and
HTML, in French, without tracking. Through a real local SMTP server (aiosmtpd): first from the
store (SQLite and PostgreSQL), then a whole conversation typed over the REST webhook."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, datetime, timezone

import pytest

from bot.domain import catalog, knowledge, referrals
from bot.jobs import mail_sender
from bot.mail import notices
from bot.mail.transport import SmtpTransport
from bot.store import db, dossiers
from bot.store.tables import Dossier
from tests.support.servers import Chat
from tests.support.smtp_server import body, subject

NOW = datetime(2030, 1, 8, 10, 0, tzinfo=timezone.utc)  # a Tuesday; the tests never read today's date
CONTEXT = notices.Context("https://mediation.example.org", "secret-for-tests", "Médiation TPE <mediation@example.org>")
SOLUTIONS = ["fiche_etablissement", "page_reseaux_sociaux"]


def send(url, server):
    return mail_sender.run_pass(url, SmtpTransport.from_url(server.url), CONTEXT, now=NOW, reminder_hours=24)


def exchange(url, conversation: str, email: str | None, consent: bool = True) -> bool:
    """A need answered with two pistes and its structures, a follow-up, then the synthesis asked for."""
    with db.session(url) as session:
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9)
        dossiers.confirm_latest_need(session, conversation, True)
        dossiers.record_answer(
            session,
            conversation,
            "presence_en_ligne",
            "technique",
            SOLUTIONS,
            [s.id for s in referrals.for_need("presence_en_ligne")],
        )
        if consent:
            dossiers.record_contact(session, conversation, None, email, None if email else "+33612345678", NOW)
        dossiers.record_leave(session, conversation, True, 5, None, date(2030, 1, 20), date(2030, 1, 28))
        asked = dossiers.request_synthesis(session, conversation)
        session.commit()
        return asked


def test_the_synthesis_says_needs_pistes_structures_and_next_steps_once_to_the_address_given(url, smtp):
    assert exchange(url, "conv-synthese", "marie.dupont@example.org") is True
    assert send(url, smtp).sent == 1
    [mail] = smtp.messages
    assert str(mail["To"]) == "marie.dupont@example.org" and smtp.collector.envelopes[0][1] == ["marie.dupont@example.org"]
    assert subject(mail) == "Le résumé de votre échange avec la médiation numérique"
    text = body(mail)
    assert catalog.need("presence_en_ligne").phrase[1:] in text  # the need in plain words
    for solution in SOLUTIONS:
        assert knowledge.solution("presence_en_ligne", solution).title in text
    for structure in referrals.for_need("presence_en_ligne"):
        assert structure.name in text and structure.url in text
    assert "Votre échéance : le dimanche 20 janvier." in text
    assert "Nous reprendrons contact avec vous vers le lundi 28 janvier" in text
    assert knowledge.entry("presence_en_ligne").tip[1:] in text  # « Un conseil : une fiche… »
    html = body(mail, "html")
    assert "<br>" in html and "<img" not in html and "src=" not in html  # no remote resource, no pixel
    assert re.findall(r'href="([^"]+)"', html) == []  # no link rewriting either: the URLs are plain text
    # asked again (a replayed write, a second leave-taking): never sent twice
    assert exchange(url, "conv-synthese", "marie.dupont@example.org") is True
    assert send(url, smtp).sent == 0 and len(smtp.messages) == 1


def test_no_synthesis_without_consent_or_without_an_e_mail_address(url, smtp):
    assert exchange(url, "conv-no-consent", None, consent=False) is False
    assert exchange(url, "conv-phone-only", None) is False  # a phone only: nothing to send it to
    assert send(url, smtp).sent == 0 and smtp.messages == []
    with db.session(url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id="conv-no-consent").one()
        assert dossier.follow_up is True and dossier.follow_up_on is None  # nobody could make it


# --- the whole conversation, typed, with the servers' mail sender ------------------------------


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
        dossier = dossiers.dossier_as_dict(dossiers.get_or_create_dossier(session, chat.sender))
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
            dossiers.dossier_as_dict(dossiers.get_or_create_dossier(session, chat.sender))["synthesis_mail"]["status"] == "sent"
        )


@pytest.mark.parametrize(
    "typed, greeting",
    [
        ("Marie Dupont", "Bonjour Marie,"),
        ("Madame Dupont", "Bonjour Madame Dupont,"),
        ("https://banque-secure.example/connexion Gagnez 500 €", "Bonjour,"),
        ("<a href='https://x.example'>Cliquez</a>", "Bonjour,"),
        ("support@banque.example : votre compte est bloqué", "Bonjour,"),
        ("www.x.example", "Bonjour,"),
    ],
)
def test_the_typed_name_is_cut_to_a_first_name_and_nothing_typed_is_in_the_subject(url, smtp, typed, greeting):
    """The synthesis goes to an address typed by whoever asks, starting with a name they chose (up to
    100 characters): only a first name made of letters greets the person, nothing typed reaches the subject."""
    conversation = "conv-name-" + uuid.uuid4().hex[:8]
    with db.session(url) as session:
        dossiers.record_contact(session, conversation, typed, "cible@example.org", None, NOW)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9)
        dossiers.request_synthesis(session, conversation)
        session.commit()
    assert send(url, smtp).sent == 1
    [mail] = smtp.messages
    assert subject(mail) == "Le résumé de votre échange avec la médiation numérique"
    text, html = body(mail), body(mail, "html")
    assert text.startswith(greeting)
    for piece in ("http", "www", "@banque", "href", "Cliquez", "Gagnez", "bloqué"):
        assert piece not in text and piece not in html, piece
    assert ("Dupont" in text) == typed.startswith("Madame")  # a first name only, or a title and a name
