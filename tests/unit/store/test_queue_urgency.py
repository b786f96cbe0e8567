"""The queue lists an urgent dossier even when the person asked for nobody (issue 27: « Urgency that
a mediator must see first, also as a queue flag »), right after the people waiting live, and says
that they asked for no contact and whether they left a way to reach them. SQLite and PostgreSQL.

Each conversation is stored as Rasa's tracker store keeps it (tests/support/rasa_events.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.domain import situation
from bot.store import accounts, activity, casework, conversations, db, dossiers, live, scheduling
from bot.store.tables import Dossier
from tests.support import rasa_events
from tests.support.clock import AT

ATTACK = "bonjour on m'a piraté ma boutique en ligne, ils demandent une rançon"
PENALTY = "J'ai reçu une mise en demeure de l'URSSAF"
CALM = "Je voudrais que mes clients trouvent ma boulangerie sur internet"
YES_NO = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]


def login_buttons() -> list[dict[str, str]]:
    """The login question's buttons as actions/qualification.py sends them (payload: the title)."""
    return [{"title": a["title"], "payload": a["title"]} for a in situation.question("acces_espaces")["answers"]]


def conversation(session, sender: str, *turns: tuple[str, str, list | None], start: float | None = None) -> None:
    """Rasa's events of a conversation: turns ("user" | "bot", text, buttons), one second apart,
    ending just before AT, and its dossier (a need recorded at AT)."""
    if not conversations.rasa_events_exist(session):
        rasa_events.create_events_table(session)
    first = AT.timestamp() - 60 if start is None else start
    for offset, (type_name, text, buttons) in enumerate(turns):
        event = {"event": type_name, "text": text}
        if buttons:
            event["data"] = {"buttons": buttons}
        rasa_events.add_event(session, sender, type_name, first + offset, event)
    dossiers.record_need(session, sender, "demarches_en_ligne", 0.8, now=AT)


def test_an_urgent_dossier_nobody_was_asked_for_is_listed_right_after_the_people_waiting_live(url):
    with db.session(url) as session:
        conversation(session, "calm", ("user", CALM, None))
        conversation(session, "live", ("user", CALM, None))
        live.request(session, "live", now=AT)
        conversation(session, "callback", ("user", CALM, None))  # a call back, not due within the week
        scheduling.request_callback(session, "callback", "le matin", (AT + timedelta(days=20)).date(), now=AT)
        conversation(session, "attack", ("user", ATTACK, None))
        conversation(session, "penalty", ("user", PENALTY, None))
        dossiers.record_contact(session, "penalty", "Awa", "awa@example.org", None, AT, now=AT)  # e.g. for the synthesis e-mail
        session.commit()

        entries = casework.queue(session, now=AT)
        listed = [e.dossier.conversation_id for e in entries]
        assert listed == ["live", "attack", "penalty", "callback"]  # « calm » asked for nobody and is not urgent
        by_sender = {e.dossier.conversation_id: e for e in entries}
        assert by_sender["attack"].reason == "sans demande de contact ni coordonnées"
        assert by_sender["attack"].urgent[0].startswith("attaque informatique peut-être en cours : « bonjour on m'a piraté")
        assert by_sender["penalty"].reason == "sans demande de contact ; coordonnées laissées : e-mail"
        assert by_sender["penalty"].urgent[0].startswith("pénalité ou sanction évoquée")
        assert by_sender["live"].urgent == () and by_sender["callback"].reason == "rappel"

        # listed does not mean asked: the figures count them as before, never as a request for a person
        assert casework.counts_by_status(session) == {"nouveau": 5, "en_cours": 0, "clos": 0}
        assert [r.dossier.conversation_id for r in casework.recent_requests(session, since=AT - timedelta(days=1))] == [
            "callback"
        ]
        attack = session.query(Dossier).filter_by(conversation_id="attack").one()
        assert activity.outcome_of(attack) == "sans suite connue"
        assert casework.waiting_reason(attack) is None


def test_an_urgent_dossier_closed_or_quiet_for_a_week_leaves_the_queue_unless_it_waits_for_a_person(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        conversation(session, "closed", ("user", ATTACK, None))
        conversation(session, "quiet", ("user", ATTACK, None))
        conversation(session, "quiet-but-waiting", ("user", ATTACK, None))
        dossiers.record_answered(session, "quiet-but-waiting", False, now=AT)  # « Pas vraiment »: waits for a person
        session.commit()
        closed = session.query(Dossier).filter_by(conversation_id="closed").one()
        assert casework.claim(session, closed.id, mediator.id, 30, now=AT)
        casework.close(session, closed, mediator.id, "Rappelée, plainte déposée", True, None, now=AT)
        session.commit()

        later = AT + timedelta(days=casework.UNASKED_URGENT_DAYS, minutes=1)
        assert [e.dossier.conversation_id for e in casework.queue(session, now=AT)] == ["quiet", "quiet-but-waiting"]
        [waiting] = casework.queue(session, now=later)
        assert waiting.dossier.conversation_id == "quiet-but-waiting"
        assert waiting.reason == "réponse insuffisante" and waiting.urgent  # still flagged
        [shown] = casework.queue(session, now=AT, status="clos")
        assert shown.dossier.conversation_id == "closed" and shown.reason == "clos"
        session.execute(update(Dossier).where(Dossier.conversation_id == "quiet").values(updated_at=later))  # it moved again
        session.commit()
        assert "quiet" in [e.dossier.conversation_id for e in casework.queue(session, now=later)]


def test_a_blocked_account_at_the_login_question_is_not_an_attack_but_one_said_elsewhere_is(url):
    with db.session(url) as session:
        question = situation.question("acces_espaces")["text"]
        conversation(session, "login", ("user", CALM, None), ("bot", question, login_buttons()), ("user", "compte bloqué", None))
        # re-asked with two of its options (« vous voulez dire… »), then answered
        some = login_buttons()[1:3]
        conversation(
            session,
            "login-again",
            ("user", CALM, None),
            ("bot", question, login_buttons()),
            ("user", "bof", None),
            ("bot", "Je veux être sûr de bien comprendre : vous voulez dire…", some),
            ("user", "mon compte bloqué", None),
        )
        conversation(
            session,
            "attack",
            ("user", CALM, None),
            ("bot", question, login_buttons()),
            ("user", "compte bloqué", None),
            ("bot", "Est-ce que cela répond à votre besoin ?", YES_NO),
            ("user", "on m'a piraté, mon compte bloqué", None),
        )
        conversation(session, "spontaneous", ("user", "mon compte bloqué depuis ce matin, je ne comprends pas", None))
        session.commit()

        entries = {e.dossier.conversation_id: e for e in casework.queue(session, now=AT)}
        assert set(entries) == {"attack", "spontaneous"}
        assert entries["attack"].urgent == ("attaque informatique peut-être en cours : « on m'a piraté, mon compte bloqué »",)
        assert entries["spontaneous"].urgent[0].startswith("attaque informatique peut-être en cours")
        login = session.query(Dossier).filter_by(conversation_id="login").one()
        assert dossiers.synthesis(session, login, AT).urgent == ()  # nor on the dossier page, the CLI, the e-mails
