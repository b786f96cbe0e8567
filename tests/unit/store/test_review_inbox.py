"""The review inbox (« Phrases à revoir ») on SQLite and PostgreSQL: what lands in it, grouping,
decisions with who and when, masking, export examples, weekly readings, and erasure with the
conversation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.domain import review
from bot.store import accounts, activity, casework, db, dossiers, retention, review_inbox, spool
from bot.store.dossier_writes import FirstMessageDenied, RecordFirstMessage, from_json, to_json
from bot.store.tables import FirstMessage, FirstMessageDecision
from tests.support.clock import AT
from tests.support.rasa_events import count_events, create_events_table, say

MONDAY = datetime(2030, 3, 4, 10, 0, tzinfo=timezone.utc)  # ISO week 10
PERSONAL = "Bonjour je suis Martine Dupont, martine.dupont@example.fr ou 06 12 34 56 78, mon truc bugue"


def first(session, conversation_id, text, reading, intent=None, confidence=None, at=MONDAY):
    return review_inbox.record_first_message(session, conversation_id, text, reading, intent, confidence, now=at)


def fill(session):
    first(session, "understood", "Je voudrais un site pour ma boulangerie", review.NEED_SAID_BACK, "presence_en_ligne", 0.93)
    first(
        session,
        "unsure",
        "mon logiciel de caisse plante",
        review.NEED_SAID_BACK,
        "outils_internes",
        0.41,
        MONDAY + timedelta(hours=1),
    )
    first(session, "menu-1", "Le machin du truc ne marche plus !", review.MENU, None, 0.2, MONDAY + timedelta(hours=2))
    first(session, "menu-2", "le machin du truc ne marche plus", review.MENU, None, 0.22, MONDAY + timedelta(hours=3))
    first(session, "lost", "xqz blorp", review.NOT_UNDERSTOOD, at=MONDAY + timedelta(hours=4))
    first(
        session,
        "denied",
        "je veux vendre mes gateaux",
        review.NEED_SAID_BACK,
        "presence_en_ligne",
        0.8,
        MONDAY + timedelta(hours=5),
    )
    assert review_inbox.person_said_no(session, "denied", "presence_en_ligne")
    session.commit()


def test_what_lands_in_the_inbox_newest_first_grouped_by_words(url):
    with db.session(url) as session:
        fill(session)
        # only the first message of a conversation counts
        assert not first(session, "lost", "une autre phrase", review.MENU)
        assert not review_inbox.person_said_no(session, "understood", "outils_internes")  # not what was said back
        groups = review_inbox.groups(session)
        assert [g.text for g in groups] == [
            "je veux vendre mes gateaux",
            "xqz blorp",
            "le machin du truc ne marche plus",  # the newest of the two spellings
            "mon logiciel de caisse plante",
        ]
        machin = groups[2]
        assert machin.count == 2 and machin.latest == MONDAY + timedelta(hours=3)
        assert machin.reasons == ("pas compris avec assez de certitude : envoyé au menu des sujets",)
        assert groups[0].reasons == ("la personne a répondu « non » à la reformulation",)
        assert groups[0].understood == ("presence_en_ligne",)
        assert groups[3].reasons == ("compris avec une faible certitude (41 %)",)
        assert review_inbox.pending_count(session) == 4
        assert review_inbox.groups(session, decided=True) == []


def test_a_decision_labels_the_group_and_is_audited(url):
    with db.session(url) as session:
        fill(session)
        mediator = accounts.add_mediator(session, "Awa Diallo", "awa@example.org", now=AT)
        machin = next(g for g in review_inbox.groups(session) if g.count == 2)
        later = MONDAY + timedelta(days=1)
        assert review_inbox.decide(session, machin.entry_id, "utiliser_ordinateur", mediator.id, now=later) == 2
        session.commit()

        assert review_inbox.pending_count(session) == 3
        [decided] = review_inbox.groups(session, decided=True)
        assert (decided.decision, decided.decided_by, decided.decided_at, decided.count) == (
            "utiliser_ordinateur",
            "Awa Diallo",
            later,
            2,
        )
        # a change of mind: both decisions stay in the trail, with who and when
        review_inbox.decide(session, machin.entry_id, review.OUT_OF_SCOPE, mediator.id, now=later + timedelta(hours=1))
        session.commit()
        trail = review_inbox.decisions_of(session, machin.entry_id)
        assert [(d.decision, d.actor_id, d.how, d.created_at) for d in trail] == [
            ("utiliser_ordinateur", mediator.id, "boite", later),
            (review.OUT_OF_SCOPE, mediator.id, "boite", later + timedelta(hours=1)),
        ]
        assert session.query(FirstMessageDecision).count() == 4

        with pytest.raises(review_inbox.ReviewError, match="Choisissez"):
            review_inbox.decide(session, machin.entry_id, "pas_un_besoin", mediator.id, now=later)
        with pytest.raises(review_inbox.ReviewError, match="plus à revoir"):
            review_inbox.decide(session, 999_999, "utiliser_ordinateur", mediator.id, now=later)


def test_texts_are_masked_in_the_list_and_the_examples(url):
    with db.session(url) as session:
        first(session, "perso", PERSONAL, review.NOT_UNDERSTOOD)
        dossiers.record_contact(session, "perso", "Martine Dupont", None, None, MONDAY, now=AT)
        session.commit()
        [group] = review_inbox.groups(session)
        for leak in ("Martine", "Dupont", "martine.dupont", "06 12", "78"):
            assert leak not in group.text
        assert "(e-mail)" in group.text and "(téléphone)" in group.text and "(nom)" in group.text
        assert group.text.endswith("mon truc bugue")

        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        review_inbox.decide(session, group.entry_id, "utiliser_ordinateur", mediator.id, now=MONDAY)
        session.commit()
        [(said, intent)] = review_inbox.decided_examples(session)
        assert said == group.text and intent == "utiliser_ordinateur"


def test_examples_teach_needs_and_out_of_scope_not_dismissed_phrases(url):
    with db.session(url) as session:
        fill(session)
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        by_text = {g.text: g.entry_id for g in review_inbox.groups(session)}
        review_inbox.decide(session, by_text["xqz blorp"], review.DISMISSED, mediator.id, now=MONDAY)
        review_inbox.decide(session, by_text["mon logiciel de caisse plante"], "outils_internes", mediator.id, now=MONDAY)
        review_inbox.decide(session, by_text["je veux vendre mes gateaux"], review.OUT_OF_SCOPE, mediator.id, now=MONDAY)
        session.commit()
        assert review_inbox.decided_examples(session) == [
            ("mon logiciel de caisse plante", "outils_internes"),
            ("je veux vendre mes gateaux", "out_of_scope"),
        ]


def test_a_corrected_triage_at_closing_is_decided_by_that_mediator(url):
    now = MONDAY + timedelta(days=2)
    with db.session(url) as session:
        create_events_table(session)
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        # recorded by the assistant, then corrected at closing
        first(
            session,
            "c1",
            "je voudrais que mes vendeurs sachent utiliser la caisse",
            review.NEED_SAID_BACK,
            "outils_internes",
            0.9,
        )
        dossiers.record_need(session, "c1", "outils_internes", 0.9, now=AT)
        # a conversation from before the inbox: its first message is read from Rasa's events
        say(session, "c2", ("bot", "Bonjour"), ("user", "/greet"), ("user", "il me faut un kbis"))
        dossiers.record_need(session, "c2", "presence_en_ligne", 0.7, now=AT)
        session.commit()
        for conversation, need in (("c1", "former_salaries"), ("c2", "demarches_en_ligne")):
            dossier = dossiers.by_conversation(session, conversation)
            casework.claim(session, dossier.id, mediator.id, 30, now=now)
            casework.close(session, dossier, mediator.id, "Appelé", False, need, now=now)
        session.commit()

        decided = {g.text: g for g in review_inbox.groups(session, decided=True)}
        assert decided["je voudrais que mes vendeurs sachent utiliser la caisse"].decision == "former_salaries"
        assert decided["il me faut un kbis"].decision == "demarches_en_ligne"
        assert decided["il me faut un kbis"].reasons == ("tri corrigé par un médiateur",)
        assert decided["il me faut un kbis"].understood == ("presence_en_ligne",)
        row = session.query(FirstMessage).filter_by(conversation_id="c2").one()
        assert [(d.how, d.actor_id) for d in review_inbox.decisions_of(session, row.id)] == [("cloture", mediator.id)]


def test_the_writes_travel_through_the_spool_format_and_respect_erasure(url):
    write = RecordFirstMessage("mon truc", review.MENU, None, 0.2)
    assert from_json(to_json(write)) == write
    spooled_before = {**to_json(write), "at": {"$datetime": MONDAY.isoformat()}}  # with its former own moment
    assert from_json(spooled_before) == write
    assert from_json(to_json(FirstMessageDenied("presence_en_ligne"))) == FirstMessageDenied("presence_en_ligne")
    with db.session(url) as session:
        assert spool.apply(session, "c1", [write], MONDAY)
        retention.erase_conversation(session, "gone", now=MONDAY)
        assert not spool.apply(session, "gone", [RecordFirstMessage("mon nom", review.MENU, None, 0.2)], MONDAY)
        session.commit()
        # dated by the write's moment, as every dossier write (the spool keeps it for a replay)
        assert [(m.conversation_id, m.received_at) for m in session.query(FirstMessage)] == [("c1", MONDAY)]
        assert dossiers.list_dossiers(session) == []  # the first message creates no dossier


def test_erased_with_the_conversation_and_purged_with_it(url):
    with db.session(url) as session:
        create_events_table(session)
        fill(session)
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        # a dossier erased at the person's request through a mediator
        dossiers.record_contact(session, "denied", "Martine", None, None, MONDAY, now=AT)
        dossier = dossiers.by_conversation(session, "denied")
        session.commit()
        retention.erase_dossier(session, dossier.id, mediator.id, now=MONDAY + timedelta(days=1))
        # « Effacer ma conversation » without a dossier
        retention.erase_conversation(session, "lost", now=MONDAY + timedelta(days=1))
        session.commit()
        texts = {m.conversation_id: m.text for m in session.query(FirstMessage)}
        assert texts["denied"] is None and texts["lost"] is None and texts["understood"] is not None
        assert "je veux vendre mes gateaux" not in [g.text for g in review_inbox.groups(session)]

        # the retention purge: conversations whose last activity is old go, with their first message
        say(session, "menu-1", ("user", "Le machin du truc ne marche plus !"), start=MONDAY.timestamp())
        say(session, "recent", ("user", "bonjour"), start=(MONDAY + timedelta(days=400)).timestamp())
        first(session, "recent", "un message récent", review.MENU, at=MONDAY + timedelta(days=400))
        session.commit()
        report = retention.purge(session, now=MONDAY + timedelta(days=401), months=6)
        session.commit()
        assert "menu-1" in [d.conversation_id for d in report.purged]
        assert count_events(session, "menu-1") == 0
        texts = {m.conversation_id: (m.text, m.words) for m in session.query(FirstMessage)}
        assert texts["menu-1"] == (None, None)
        assert texts["unsure"] == (None, None)  # no dossier, no event left: goes by its date
        assert texts["recent"][0] == "un message récent"
        assert [g.text for g in review_inbox.groups(session)] == ["un message récent"]
        # how they were read stays for the figures
        assert session.query(FirstMessage).count() == 7


def test_weekly_share_understood_sent_to_the_menu_and_corrected(url):
    with db.session(url) as session:
        fill(session)
        first(
            session, "next-week", "je veux un site", review.NEED_SAID_BACK, "presence_en_ligne", 0.9, MONDAY + timedelta(weeks=1)
        )
        session.commit()
        figures = activity.activity(session, date(2030, 3, 4), date(2030, 3, 24))
    [w10, w11, w12] = figures.understanding
    assert (w10.week, w10.first_messages, w10.understood, w10.menu, w10.not_understood, w10.corrected) == (
        "2030-S10",
        6,
        2,
        2,
        1,
        1,
    )
    assert (w10.share(w10.understood), w10.share(w10.menu), w10.share(w10.corrected)) == (33, 33, 17)
    assert (w11.first_messages, w11.share(w11.understood)) == (1, 100)
    assert (w12.first_messages, w12.share(w12.understood)) == (0, None)
    csv_text = activity.activity_csv(figures)
    assert "2030-S10,6,33,0,33,17,17" in csv_text.replace("\r", "")


def test_a_first_message_read_as_out_of_scope_with_little_confidence_is_reviewed(url):
    with db.session(url) as session:
        first(session, "tva", "quel taux de tva pour refaire mon site", review.READ_OUT_OF_SCOPE, None, 0.45)
        first(session, "sure", "combien de charges je vais payer", review.READ_OUT_OF_SCOPE, None, 0.93)
        session.commit()
        [group] = review_inbox.groups(session)
        assert group.text == "quel taux de tva pour refaire mon site"
        assert group.reasons == ("lu comme hors sujet avec une faible certitude (45 %)",)
        figures = activity.activity(session, date(2030, 3, 4), date(2030, 3, 10))
        assert [(w.first_messages, w.out_of_scope, w.understood) for w in figures.understanding] == [(2, 2, 0)]
