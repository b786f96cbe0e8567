"""The synthesis of the exchange, asked for at leave-taking (issue 17, « à la demande en fin
d'échange »), from the store to a real local SMTP server (aiosmtpd), SQLite and PostgreSQL: queued
once, sent only with consent and only to the address given, plain text and HTML, in French,
without tracking. The same asked for by typing, through Rasa: tests/e2e/test_synthesis_mail.py."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timezone

import pytest

from bot.domain import catalog, knowledge, referrals
from bot.jobs import mail_sender
from bot.mail import notices
from bot.mail.transport import SmtpTransport
from bot.store import db, dossiers
from bot.store.tables import Dossier
from tests.support.smtp_server import body, subject

NOW = datetime(2030, 1, 8, 10, 0, tzinfo=timezone.utc)  # a Tuesday; the tests never read today's date
CONTEXT = notices.Context("https://mediation.example.org", "secret-for-tests", "Médiation TPE <mediation@example.org>")
SOLUTIONS = ["fiche_etablissement", "page_reseaux_sociaux"]


def send(url, server):
    return mail_sender.run_pass(url, SmtpTransport.from_url(server.url), CONTEXT, now=NOW, reminder_hours=24)


def exchange(url, conversation: str, email: str | None, consent: bool = True) -> bool:
    """A need answered with two pistes and its structures, a follow-up, then the synthesis asked for."""
    with db.session(url) as session:
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=NOW)
        dossiers.confirm_latest_need(session, conversation, True, now=NOW)
        dossiers.record_answer(
            session,
            conversation,
            "presence_en_ligne",
            "technique",
            SOLUTIONS,
            [s.id for s in referrals.for_need("presence_en_ligne")],
            now=NOW,
        )
        if consent:
            dossiers.record_contact(session, conversation, None, email, None if email else "+33612345678", NOW, now=NOW)
        dossiers.record_leave(session, conversation, True, 5, None, date(2030, 1, 20), date(2030, 1, 28), now=NOW)
        asked = dossiers.request_synthesis(session, conversation, now=NOW)
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
        dossiers.record_contact(session, conversation, typed, "cible@example.org", None, NOW, now=NOW)
        dossiers.record_need(session, conversation, "presence_en_ligne", 0.9, now=NOW)
        dossiers.request_synthesis(session, conversation, now=NOW)
        session.commit()
    assert send(url, smtp).sent == 1
    [mail] = smtp.messages
    assert subject(mail) == "Le résumé de votre échange avec la médiation numérique"
    text, html = body(mail), body(mail, "html")
    assert text.startswith(greeting)
    for piece in ("http", "www", "@banque", "href", "Cliquez", "Gagnez", "bloqué"):
        assert piece not in text and piece not in html, piece
    assert ("Dupont" in text) == typed.startswith("Madame")  # a first name only, or a title and a name
