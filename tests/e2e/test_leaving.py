"""Taking leave end to end, typed on the real servers: a deadline said back, a follow-up with consent,
or « non » to everything. The actions in-process: tests/unit/actions/test_leaving.py."""

from __future__ import annotations

import os
from datetime import date

from bot import clock
from bot.language.dates import french_date
from bot.store import db, dossiers


def say(chat, text: str) -> str:
    """Typed, never a payload; every leave-taking turn stays chat-sized (tests/e2e/test_answer_size.py)."""
    from tests.support.replies import MAX_TURN_WORDS, words

    assert not text.startswith("/"), "typed, never a payload"
    replies = chat.say(text)
    assert words(replies) <= MAX_TURN_WORDS and len(replies) <= 4, replies
    return chat.texts(replies).replace("\u202f", " ").replace("\u00a0", " ")


def test_leave_taking_end_to_end_deadline_and_follow_up_with_consent(chat, servers):
    """Typed as on a phone: a deadline said back, a follow-up after it with consent and a phone,
    stored in the dossier, shown by `bot dossiers show`, in the console's queue and dossier page."""
    import subprocess
    import sys

    from tests.support.console_client import Console, make_account

    say(chat, "je voudrais que les gens trouvent mon salon sur internet, personne me connait")
    say(chat, "oui")
    assert "Est-ce que cela répond" in say(chat, "non")  # no questions
    say(chat, "oui merci")  # the answer helped
    assert "avez-vous une échéance" in say(chat, "au revoir, bonne journée")
    text = say(chat, "avant le 20 décembre")
    assert "20 décembre, c'est bien ça ?" in text
    text = say(chat, "oui c'est ça")
    assert "reprenne contact avec vous vers le" in text
    assert "résumé de notre échange" in say(chat, "oui volontiers")
    text = say(chat, "non merci")
    assert "Pour reprendre contact avec vous, nous gardons votre téléphone ou votre e-mail" in text
    assert "À quel numéro de téléphone ou à quelle adresse e-mail" in say(chat, "oui d'accord")
    assert "de 1 à 5" in say(chat, "06 12 34 56 78")
    assert "ajouter un mot" in say(chat, "4")
    text = say(chat, "Très clair, merci")
    assert "reprendra contact avec vous vers le" in text and "Merci de votre visite" in text
    with db.session(servers.database_url) as session:
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())
    assert dossier["satisfaction"] == 4 and dossier["follow_up"] is True and dossier["answered"] is True
    assert dossier["satisfaction_comment"] == "Très clair, merci"
    assert dossier["contact"]["phone"] == "+33612345678" and dossier["contact"]["consent_at"]
    deadline, follow_up_on = date.fromisoformat(dossier["deadline"]), date.fromisoformat(dossier["follow_up_on"])
    assert (deadline.month, deadline.day) == (12, 20)  # whatever today is: never in the past
    assert 7 <= (follow_up_on - deadline).days <= 9 and follow_up_on.weekday() < 5  # a week after, on a weekday
    said = f"{follow_up_on:%d/%m/%Y}"
    # the synthesis says days in words (« lundi 28 décembre », with the year when not this one)
    follow_up_words, deadline_words = french_date(follow_up_on, follow_up_on), french_date(deadline, deadline)
    assert f"Suivi : à faire le {follow_up_words}" in dossier["summary"]

    shown = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "dossiers", "show", str(dossier["id"])],
        env={**os.environ, "DATABASE_URL": servers.database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"Suivi : à faire le {follow_up_words}" in shown.stdout, shown.stdout + shown.stderr
    assert f"Échéance donnée par la personne : {deadline_words}" in shown.stdout

    console = Console(servers)
    console.login(make_account(servers))
    queue = console.get("/file").text
    row = queue[queue.index(f"/dossiers/{dossier['id']}\"") :]
    assert f"suivi à faire le {said}" in row[:2000]
    page = console.get(f"/dossiers/{dossier['id']}").text
    assert f"à faire le {follow_up_words}" in page
    assert f"Échéance donnée par la personne</dt><dd>{deadline_words}" in page
    assert '<dd id="resume-mail">non demandé</dd>' in page


def test_leave_taking_typed_saying_no_to_everything_keeps_nothing_personal(chat, servers):
    """The pistes did not help and the mediator was declined: the deadline and the follow-up are
    still offered (something to act on), « non » to each, then satisfaction; no contact kept."""
    say(chat, "je voudrais que les gens trouvent mon salon sur internet, personne me connait")
    say(chat, "oui")
    assert "Est-ce que cela répond" in say(chat, "non")
    assert "Qu'est-ce qui vous manque" in say(chat, "pas vraiment")
    assert "Souhaitez-vous être mis en relation" in say(chat, "rien")
    assert "Avez-vous une autre question" in say(chat, "non merci")
    text = say(chat, "non merci ce sera tout")
    assert "échéance" in text  # pistes were given: the deadline comes first
    assert "reprenne contact" in say(chat, "pas d'échéance")
    assert "résumé" in say(chat, "non pas besoin")
    assert "de 1 à 5" in say(chat, "nan c'est bon")
    say(chat, "5")
    assert "bonne continuation" in say(chat, "non")
    with db.session(servers.database_url) as session:
        dossier = dossiers.dossier_as_dict(dossiers.by_conversation(session, chat.sender), now=clock.now())
    assert dossier["follow_up"] is False and dossier["deadline"] is None and dossier["follow_up_on"] is None
    assert dossier["contact"]["consent_at"] is None and dossier["satisfaction"] == 5
