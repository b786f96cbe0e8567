"""Booking a mediator or a call back through the REST webhook, then the stored dossier, field by field."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot import clock
from bot.domain import catalog
from bot.store import db, dossiers
from bot.store.tables import Appointment


def dossier_of(servers, chat) -> dict:
    with db.session(servers.database_url) as session:
        now = clock.now()  # a conversation that left no dossier reads as an empty one (not committed)
        return dossiers.dossier_as_dict(dossiers.get_or_create_dossier(session, chat.sender, now), now=now)


def test_appointment_path_with_consent(chat, servers):
    chat.say("bonjour")
    chat.say("je voudrais faire un plan pour le numerique de mon restaurant")
    chat.say("oui")
    chat.say("non")  # no questions
    chat.say("non pas vraiment")  # the answer did not help
    chat.say("passer")  # « Qu'est-ce qui vous manque ? »
    chat.say("oui")  # a human, then
    replies = chat.say('/ask_human{"mode_contact": "rendez_vous"}')
    assert "Êtes-vous d'accord" in chat.texts(replies)
    assert "Quel nom" in chat.texts(chat.say("oui"))
    assert "téléphone ou à quelle adresse e-mail" in chat.texts(chat.say("Sandrine"))
    replies = chat.say("06.12.34.56.78")
    buttons = chat.buttons(replies)
    assert "créneaux libres" in chat.texts(replies) and len(buttons) == 3
    first = buttons[0]
    text = chat.texts(chat.say(first["payload"]))
    assert "C'est réservé" in text
    reference = re.search(r"RDV-[A-Z0-9]{6}", text).group(0)
    assert catalog.service_contact().phone in text  # how to cancel

    dossier = dossier_of(servers, chat)
    assert dossier["needs"][0]["intent"] == "strategie_numerique" and dossier["needs"][0]["confirmed"] is True
    assert dossier["answered"] is False
    assert dossier["appointment"]["reference"] == reference
    assert dossier["contact"]["name"] == "Sandrine" and dossier["contact"]["phone"] == "+33612345678"
    consent = datetime.fromisoformat(dossier["contact"]["consent_at"])
    assert datetime.now(timezone.utc) - consent < timedelta(minutes=5)
    assert dossier["profile"].get("secteur") == "restauration"


def test_callback_path_with_deadline_and_a_wrong_email_once(chat, servers):
    chat.ask_human("rappel")
    chat.say("oui")
    chat.say("Paul")
    text = chat.texts(chat.say("paul@orange"))
    assert "Par exemple\u00a0: 06 12 34 56 78" in text
    text = chat.texts(chat.say("paul.martin@orange.fr"))
    assert "À quel moment" in text
    assert "échéance" in chat.texts(chat.say("le matin"))
    text = chat.texts(chat.say("avant le 15/12"))
    assert "15 décembre, c'est bien ça" in text  # said back in French for confirmation
    text = chat.texts(chat.say("oui"))
    # an e-mail only: « vous écrira », never « vous rappellera » (issue 27)
    assert "un médiateur vous écrira à paul.martin@orange.fr, le matin, avant le" in text
    assert "rappellera" not in text
    assert "15 décembre" in text
    dossier = dossier_of(servers, chat)
    assert dossier["callback"]["preferred_moment"] == "le matin"
    assert dossier["callback"]["deadline"].endswith("-12-15")
    assert dossier["contact"]["email"] == "paul.martin@orange.fr" and dossier["contact"]["consent_at"]


def test_refusing_consent_keeps_no_contact_details(chat, servers):
    chat.ask_human("rappel")
    text = chat.texts(chat.say("non"))
    assert "je ne garde aucune coordonnée" in text
    assert catalog.service_contact().phone in text
    dossier = dossier_of(servers, chat)
    assert dossier["contact"] == {"name": None, "email": None, "phone": None, "consent_at": None}
    assert dossier["callback"] is None


def test_wrong_contact_twice_moves_on_and_keeps_nothing(chat, servers):
    chat.ask_human("rendez_vous")
    chat.say("oui")
    chat.say("Lucie")
    assert "Par exemple" in chat.texts(chat.say("jsp"))
    text = chat.texts(chat.say("toujours pas"))
    assert "passons à la suite" in text
    assert "ne pourra pas vous recontacter" in text
    dossier = dossier_of(servers, chat)
    assert dossier["appointment"] is None and dossier["contact"]["phone"] is None


def test_twenty_conversations_book_the_same_first_slot_at_once(servers):
    """Exactly one gets it; the others are told and offered other slots; every dossier stored once."""
    import random
    import threading

    from tests.support.servers import Chat

    people = [Chat(servers) for _ in range(20)]
    first_offers = {}

    def reach_the_slots(chat):
        chat.ask_human("rendez_vous")
        chat.say("oui")
        chat.say("Client")
        first_offers[chat.sender] = chat.buttons(chat.say("06 12 34 56 78"))

    threads = [threading.Thread(target=reach_the_slots, args=(c,)) for c in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    # they all see the same first free slot (nobody has booked yet)
    first_payload = first_offers[people[0].sender][0]["payload"]
    assert all(offers and offers[0]["payload"] == first_payload for offers in first_offers.values())

    barrier = threading.Barrier(len(people))
    outcomes, errors = {}, []

    def book(chat):
        try:
            barrier.wait()
            replies = chat.say(first_payload)
            for _ in range(40):  # taken: choose one of the slots offered now, as a person would
                text = chat.texts(replies)
                if "C'est réservé" in text:
                    outcomes[chat.sender] = re.search(r"RDV-[A-Z0-9]{6}", text).group(0)
                    return
                assert "vient d'être pris" in text or "Je n'ai pas reconnu" in text, text
                replies = chat.say(random.choice(chat.buttons(replies))["payload"])
        except Exception as exc:  # any error fails the test below
            errors.append(repr(exc))

    threads = [threading.Thread(target=book, args=(c,)) for c in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert len(outcomes) == 20 and len(set(outcomes.values())) == 20
    with db.session(servers.database_url) as session:
        found = [
            dossiers.dossier_as_dict(d, now=clock.now()) for d in dossiers.list_dossiers(session) if d.conversation_id in outcomes
        ]
        first_slot_holders = [
            a
            for a in session.execute(select(Appointment).where(Appointment.status == "confirme")).scalars()
            if str(a.slot_id) == first_payload.split('"')[-2]
        ]
    assert len(found) == 20
    assert sorted(d["appointment"]["reference"] for d in found) == sorted(outcomes.values())
    assert len(first_slot_holders) == 1
