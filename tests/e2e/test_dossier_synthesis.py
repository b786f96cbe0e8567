"""Two conversations typed through the real Rasa and action servers, on SQLite and PostgreSQL —
one ending in an appointment, one with pistes only — read back as a mediator reads them: the
console's dossier page and `bot dossiers show` say the synthesis in words (no internal id), the
person's words quoted, times in Paris time, and no structure « shown » when « Où m'adresser ? »
was never asked (issue 27, sections 1 and 2); a cyber attack typed without asking for a person is
in the mediators' queue, flagged urgent."""

from __future__ import annotations

import re

from bot import clock
from bot.domain import catalog, knowledge, maturity, referrals
from bot.language.dates import WEEKDAYS
from bot.store import casework, db
from bot.store.tables import Dossier
from tests.support.dossier_reading import read_back
from tests.support.servers import Chat

APPOINTMENT_REQUEST = "bonjour je voudrais un rendez-vous avec un conseiller pour ma declaration urssaf"
PISTES_REQUEST = "je voudrais que les gens trouvent mon salon de coiffure sur internet"


def internal_ids() -> set[str]:
    """Every id a dossier stores that a mediator must never read: needs, pistes, structures,
    sectors, skill levels; only the compound ones and those no French word spells."""
    ids = {n.id for n in catalog.needs()} | set(catalog.sectors()) | {s.id for s in referrals.structures()}
    ids |= {s.id for n in catalog.needs() for s in knowledge.entry(n.id).solutions}
    ids |= {level["id"] for level in maturity.questionnaire()["levels"]["skills"]}
    return {i for i in ids if "_" in i or i in ("debutant", "intermediaire", "beaute_bien_etre")}


def say(chat: Chat, text: str) -> str:
    return chat.texts(chat.say(text)).replace("\u202f", " ").replace("\u00a0", " ")


def stored(servers, chat: Chat) -> Dossier:
    with db.session(servers.database_url) as session:
        dossier = session.query(Dossier).filter_by(conversation_id=chat.sender).one()
        session.expunge(dossier)
        return dossier


def test_an_appointment_reads_in_words_with_the_persons_request_and_paris_time(servers, monkeypatch, capsys):
    chat = Chat(servers)
    assert "Que préférez-vous" in say(chat, APPOINTMENT_REQUEST)
    assert "Êtes-vous d'accord" in say(chat, "un rendez-vous ce serait bien")
    say(chat, "d'accord allez-y")
    say(chat, "Paul")
    assert "Lequel vous convient" in say(chat, "paul.martin@exemple.fr")
    assert "C'est réservé" in say(chat, "le premier")
    dossier = stored(servers, chat)
    assert dossier.redirect == []  # « Où m'adresser ? » was never asked
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    for said in (on_page, in_cli):
        assert f"« {APPOINTMENT_REQUEST} »" in said  # their words, quoted
        assert "Faire une démarche en ligne" in said
        assert "Structures présentées à la personne" in said and "aucune" in said
        assert not internal_ids() & set(re.findall(r"[\w-]+", said)), said
        assert "UTC" not in said
        # « lundi 14 décembre à 9 h »: a weekday, a month in words and an hour, in Paris time
        assert re.search(rf"Rendez-vous(?: :)? ({'|'.join(WEEKDAYS)}) \d{{1,2}}(?:er)? \w+ à \d{{1,2}} h", said)
        assert "non évaluée" in said  # no questionnaire: not « Débutant »
    assert on_page.index(APPOINTMENT_REQUEST) < on_page.index("Besoin")  # the request above everything else


def test_pistes_only_read_in_words_and_no_structure_counted_as_shown(servers, monkeypatch, capsys):
    chat = Chat(servers)
    assert "C'est bien cela ?" in say(chat, PISTES_REQUEST)
    assert "questions courtes" in say(chat, "oui c'est bien ça")
    assert "Est-ce que cela répond à votre besoin ?" in say(chat, "non, directement les pistes")
    assert "Avez-vous une autre question" in say(chat, "oui merci")
    dossier = stored(servers, chat)
    assert dossier.solutions and dossier.redirect == []  # pistes computed with structures; none shown
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    for said in (on_page, in_cli):
        assert f"« {PISTES_REQUEST} »" in said
        assert "Être plus visible en ligne, confirmé par la personne" in said
        assert knowledge.entry("presence_en_ligne").solutions[0].title in said or any(
            s.title in said for s in knowledge.entry("presence_en_ligne").solutions
        )
        assert "Structures présentées à la personne aucune" in said or "Structures présentées à la personne : aucune" in said
        assert "Questionnaire" in said and "non évalué" in said
        assert not internal_ids() & set(re.findall(r"[\w-]+", said)), said
        assert "UTC" not in said


ATTACK = "bonjour on m'a piraté ma boutique en ligne, ils demandent une rançon"


def test_a_cyber_attack_typed_without_asking_for_a_person_is_in_the_queue_flagged_urgent(servers, monkeypatch, capsys):
    chat = Chat(servers)
    first = say(chat, ATTACK)
    if "C'est bien cela" in first:  # the need said back: confirmed, and nothing more asked of anyone
        say(chat, "oui")
    with db.session(servers.database_url) as session:  # the servers' database, as the console reads it
        entries = {e.dossier.conversation_id: e for e in casework.queue(session, now=clock.now())}
        assert chat.sender in entries, "the urgent dossier is not in the mediators' queue"
        entry = entries[chat.sender]
        assert not (entry.dossier.callbacks or entry.dossier.appointments or entry.dossier.live_chats)  # asked for nobody
        assert entry.urgent and entry.urgent[0].startswith(f"attaque informatique peut-être en cours : « {ATTACK}")
        assert entry.reason == "sans demande de contact ni coordonnées"
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    assert "URGENT : attaque informatique peut-être en cours" in in_cli


MISSING = "des exemples concrets pour un salon comme le mien"


def test_what_is_missing_after_pas_vraiment_is_asked_once_and_read_in_the_persons_words(servers, monkeypatch, capsys):
    chat = Chat(servers)
    say(chat, PISTES_REQUEST)
    say(chat, "oui c'est bien ça")
    assert "Est-ce que cela répond à votre besoin ?" in say(chat, "non, directement les pistes")
    assert "Qu'est-ce qui vous manque ?" in say(chat, "pas vraiment")
    assert "Souhaitez-vous être mis en relation" in say(chat, MISSING)
    assert "Avez-vous une autre question" in say(chat, "non merci")
    dossier = stored(servers, chat)
    assert dossier.answered is False and dossier.missing == MISSING
    on_page, in_cli = read_back(servers, chat, monkeypatch, capsys)
    for said in (on_page, in_cli):
        assert re.search(rf"Ce qui lui manque(?: :)? « {MISSING} »", said), said
        assert "« Pas vraiment »" in said


def test_what_is_missing_can_be_skipped_and_a_request_for_a_person_there_is_honoured(servers, monkeypatch, capsys):
    skipping = Chat(servers)
    say(skipping, PISTES_REQUEST)
    say(skipping, "oui")
    say(skipping, "non, directement les pistes")
    assert "Qu'est-ce qui vous manque ?" in say(skipping, "non pas vraiment")
    assert "Souhaitez-vous être mis en relation" in say(skipping, "je ne sais pas")
    assert stored(servers, skipping).missing is None
    on_page, in_cli = read_back(servers, skipping, monkeypatch, capsys)
    assert "Ce qui lui manque" not in on_page and "Ce qui lui manque" not in in_cli

    asking = Chat(servers)
    say(asking, PISTES_REQUEST)
    say(asking, "oui")
    say(asking, "non, directement les pistes")
    assert "Qu'est-ce qui vous manque ?" in say(asking, "pas vraiment")
    text = say(asking, "je préfère en parler à quelqu'un")
    assert "Que préférez-vous" in text and "Souhaitez-vous être mis en relation" not in text
    assert "Êtes-vous d'accord" in say(asking, "être rappelé")
    dossier = stored(servers, asking)
    assert dossier.answered is False and dossier.missing is None
