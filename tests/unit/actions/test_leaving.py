"""Taking leave, the actions run in-process on the store: follow-up wish and satisfaction after a
need, a tip, goodbye, the synthesis e-mail's limits. End to end, typed: tests/e2e/test_leaving.py."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions.leaving import ActionGoodbye, ActionTakeLeave, ValidateSatisfactionForm
from bot import clock
from bot.domain import catalog, knowledge
from bot.store import casework, db, dossiers, retention
from bot.store.tables import OutgoingMail
from tests.support.actions import make_tracker, run, stored


def responses(messages):
    return [m["response"] for m in messages]


@pytest.mark.usefixtures("store_url")
def test_take_leave_asks_only_after_a_need():
    messages, events = run(ActionTakeLeave(), make_tracker("au revoir", "goodbye"))
    assert responses(messages) == ["utter_goodbye"] and events == []
    _, events = run(ActionTakeLeave(), make_tracker("au revoir", "goodbye", slots={"besoin_confirme": True}))
    assert events == [SlotSet("echecs_validation", 0), FollowupAction("satisfaction_form")]


def test_satisfaction_validation_never_insists():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateSatisfactionForm(), CollectingDispatcher()
    assert form.validate_satisfaction("4", dispatcher, make_tracker(), {}) == {"satisfaction": "4"}
    assert form.validate_satisfaction("je dirais 5 !", dispatcher, make_tracker(), {}) == {"satisfaction": "5"}
    # words count too
    assert form.validate_satisfaction("bof", dispatcher, make_tracker(), {}) == {"satisfaction": "2"}
    assert form.validate_satisfaction("4/5", dispatcher, make_tracker(), {}) == {"satisfaction": "4"}
    assert form.validate_satisfaction("zkqj", dispatcher, make_tracker(), {}) == {"satisfaction": "non_renseigne"}
    assert form.validate_satisfaction("9", dispatcher, make_tracker(), {}) == {"satisfaction": "non_renseigne"}


def test_comment_is_optional_and_kept_as_typed():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateSatisfactionForm(), CollectingDispatcher()
    declined = make_tracker("Non, c'est tout", "deny")
    assert form.validate_commentaire("Non, c'est tout", dispatcher, declined, {}) == {"commentaire": "non_renseigne"}
    typed = make_tracker("x", "inform")
    assert form.validate_commentaire("  très   clair, merci <3 ", dispatcher, typed, {}) == {
        "commentaire": "très clair, merci <3"
    }
    assert len(form.validate_commentaire("a" * 5000, dispatcher, typed, {})["commentaire"]) == 1000


def test_goodbye_stores_answers_and_gives_a_tip(store_url):
    slots = {"besoin": "naviguer_internet", "suivi": True, "satisfaction": "4", "commentaire": "Rapide"}
    messages, _ = run(ActionGoodbye(), make_tracker("4", slots=slots))
    # a follow-up wished without consent nor contact: said plainly, and no date in the queue
    assert responses(messages) == ["utter_tip", "utter_follow_up_without_contact", "utter_goodbye"]
    assert messages[0]["conseil"] == knowledge.entry("naviguer_internet").tip
    dossier = stored(store_url)
    assert dossier["satisfaction"] == 4 and dossier["follow_up"] is True and dossier["follow_up_on"] is None
    assert dossier["satisfaction_comment"] == "Rapide"


TODAY_UTC = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday


def test_goodbye_plans_the_follow_up_after_the_deadline_and_queues_the_synthesis(store_url, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: TODAY_UTC)
    slots = {
        "besoin": "presence_en_ligne",
        "reponse_utile": True,
        "solutions_presentees": ["fiche_etablissement"],
        "echeance": "2026-12-20",
        "echeance_confirmee": True,
        "suivi": True,
        "synthese": True,
        "consentement": True,
        "consentement_le": TODAY_UTC.isoformat(),
        "adresse_email": "marie@exemple.fr",
        "satisfaction": "5",
        "commentaire": "non_renseigne",
    }
    messages, _ = run(ActionGoodbye(), make_tracker("non", slots=slots))
    assert responses(messages) == ["utter_follow_up_planned", "utter_synthesis_sent", "utter_goodbye"]
    assert messages[0]["date"] == "lundi 28 décembre"  # a week after Sunday 20 December, on a weekday
    assert messages[1]["email"] == "marie@exemple.fr"
    dossier = stored(store_url)
    assert dossier["deadline"] == "2026-12-20" and dossier["follow_up_on"] == "2026-12-28"
    assert dossier["contact"]["email"] == "marie@exemple.fr" and dossier["contact"]["consent_at"]
    with db.session(store_url) as session:  # the synthesis in words, read on the day of the conversation
        summary = dossiers.dossier_as_dict(dossiers.by_conversation(session, "someone"), now=TODAY_UTC)["summary"]
    assert "Échéance donnée par la personne : dimanche 20 décembre" in summary
    assert "Suivi : à faire le lundi 28 décembre" in summary
    with db.session(store_url) as session:
        assert [(m.kind, m.status) for m in session.query(OutgoingMail)] == [("synthese", "pending")]
        [entry] = casework.queue(session, now=TODAY_UTC)
        assert entry.reason == "suivi à faire le 28/12/2026" and entry.due.date() == date(2026, 12, 28)
    # asked twice (a second leave-taking), the synthesis is still queued once
    run(ActionGoodbye(), make_tracker("non", slots=slots))
    with db.session(store_url) as session:
        assert session.query(OutgoingMail).count() == 1
    # erased at the person's request: nobody to contact, out of the queue
    with db.session(store_url) as session:
        assert retention.erase_person(session, dossier["id"], None, now=TODAY_UTC)
        session.commit()
        assert casework.queue(session, now=TODAY_UTC) == []
    assert stored(store_url)["follow_up_on"] is None


def test_without_a_deadline_the_follow_up_is_a_few_weeks_later_and_refused_consent_keeps_nothing(store_url, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: TODAY_UTC)
    assert catalog.follow_up_date(None, date(2026, 12, 1)) == date(2026, 12, 22)
    assert catalog.follow_up_date(date(2026, 12, 11), date(2026, 12, 1)) == date(2026, 12, 18)
    slots = {
        "besoin": "presence_en_ligne",
        "solutions_presentees": ["fiche_etablissement"],
        "echeance": "non_renseigne",
        "suivi": True,
        "synthese": True,
        "consentement": False,
        "adresse_email": None,
        "satisfaction": "3",
    }
    messages, _ = run(ActionGoodbye(), make_tracker("non", slots=slots))
    assert responses(messages) == [
        "utter_tip",
        "utter_follow_up_without_contact",
        "utter_synthesis_without_email",
        "utter_goodbye",
    ]
    dossier = stored(store_url)
    assert dossier["follow_up"] is True and dossier["follow_up_on"] is None and dossier["deadline"] is None
    assert dossier["contact"] == {"name": None, "email": None, "phone": None, "consent_at": None}
    with db.session(store_url) as session:
        assert session.query(OutgoingMail).count() == 0


def _asked(slots: dict) -> list[str]:
    from rasa_sdk.executor import CollectingDispatcher

    form = ValidateSatisfactionForm()
    return asyncio.run(form.required_slots([], CollectingDispatcher(), make_tracker(slots=slots), {}))


def test_the_leave_taking_questions_asked_depend_on_what_is_known():
    end = ["satisfaction", "commentaire"]
    assert _asked({}) == ["synthese", *end]  # no pistes: nothing to act on, nothing to follow up
    pistes = {"solutions_presentees": ["fiche_etablissement"]}
    assert _asked(pistes) == ["echeance", "suivi", "synthese", *end]
    assert _asked({**pistes, "echeance": "2026-12-20"}) == ["echeance", "echeance_confirmee", "suivi", "synthese", *end]
    wants = {**pistes, "echeance": "non_renseigne", "suivi": True, "synthese": False}
    assert _asked(wants) == ["echeance", "suivi", "synthese", "consentement", *end]
    consented = {**wants, "consentement": True, "consentement_le": TODAY_UTC.isoformat()}
    assert _asked(consented) == ["echeance", "suivi", "synthese", "contact_coordonnees", *end]
    # a phone given earlier (a call back) is enough for the follow-up; the synthesis needs an e-mail
    known_phone = {**consented, "contact_coordonnees": "+33612345678"}
    assert _asked(known_phone)[-3:] == ["synthese", *end]
    assert _asked({**known_phone, "synthese": True})[-4:] == ["synthese", "adresse_email", *end]
    both = {**consented, "synthese": True}
    assert _asked(both)[-4:] == ["synthese", "adresse_email", *end]
    # no e-mail for the synthesis: a phone or an e-mail for the follow-up, then
    assert _asked({**both, "adresse_email": "non_renseigne"})[-5:] == ["synthese", "adresse_email", "contact_coordonnees", *end]
    known_email = {**consented, "synthese": True, "contact_coordonnees": "paul@exemple.fr"}
    assert _asked(known_email)[-3:] == ["synthese", *end]


def test_the_address_for_the_synthesis_must_be_an_e_mail_and_can_be_skipped():
    from rasa_sdk.executor import CollectingDispatcher

    form, dispatcher = ValidateSatisfactionForm(), CollectingDispatcher()
    typed = make_tracker("x", "inform")
    assert (
        form.validate_adresse_email("Marie.Dupont@Exemple.fr ", dispatcher, typed, {})["adresse_email"]
        == "marie.dupont@exemple.fr"
    )
    assert form.validate_adresse_email("passer", dispatcher, typed, {}) == {
        "adresse_email": "non_renseigne",
        "echecs_validation": 0,
    }
    phone = form.validate_adresse_email("06 12 34 56 78", dispatcher, typed, {})
    assert phone["adresse_email"] is None and phone["contact_coordonnees"] == "+33612345678"  # kept for the follow-up
    assert dispatcher.messages[-1]["response"] == "utter_invalid_email"


def test_the_synthesis_mail_is_limited_per_recipient_and_per_client_address(store_url, monkeypatch):
    """The synthesis goes to any address typed: it counts as a handover request, and at most
    RATE_LIMIT_SYNTHESES_PER_DAY conversations a day may send one to one address, or from one client."""
    from actions import limits
    from bot import rate_limits
    from bot.rate_limits import Windows

    monkeypatch.setattr(clock, "now", lambda: TODAY_UTC)
    monkeypatch.setenv("RATE_LIMIT_SYNTHESES_PER_DAY", "2")
    monkeypatch.setenv("RATE_LIMIT_HANDOVERS_PER_HOUR", "3")
    monkeypatch.setattr(limits, "_shared", Windows(url=""))

    def goodbye(conversation: str, email: str, address: str | None):
        slots = {
            "besoin": "presence_en_ligne",
            "synthese": True,
            "consentement": True,
            "consentement_le": TODAY_UTC.isoformat(),
            "adresse_email": email,
        }
        client = rate_limits.client_key(address, "s") if address else None
        tracker = make_tracker("non", slots=slots, events=[{"event": "user", "text": "non", "metadata": {"client": client}}])
        tracker.sender_id = conversation
        messages, _ = run(ActionGoodbye(), tracker)
        sent = "utter_synthesis_sent" in [m.get("response") for m in messages]
        refusal = next((m["text"] for m in messages if m.get("text")), None)
        return sent, refusal

    def queued() -> int:
        with db.session(store_url) as session:
            return session.query(OutgoingMail).filter_by(kind="synthese").count()

    # one recipient, whoever asks: twice a day (a local tool too), the same conversation again is no new one
    assert goodbye("s1", "cible@exemple.fr", "198.51.100.1")[0] and goodbye("s2", "Cible@Exemple.fr", None)[0]
    assert goodbye("s1", "cible@exemple.fr", "198.51.100.1")[0]
    sent, refusal = goodbye("s3", "cible@exemple.fr", "198.51.100.2")
    assert not sent and "Je ne peux pas envoyer d’autre résumé" in refusal and "01 00 00 00 00" in refusal
    # one client address, whatever the recipients: twice a day
    assert goodbye("s4", "a@exemple.fr", "198.51.100.3")[0] and goodbye("s5", "b@exemple.fr", "198.51.100.3")[0]
    assert goodbye("s6", "c@exemple.fr", "198.51.100.3") == (False, refusal)
    assert queued() == 4  # s1, s2, s4, s5
    # and it counts in the handover limit: a client that already asked for 3 call backs gets none
    for conversation in ("h1", "h2", "h3"):
        assert limits.admit_handover(rate_limits.client_key("198.51.100.9", "s"), conversation, 3, TODAY_UTC.timestamp())
    assert goodbye("s7", "d@exemple.fr", "198.51.100.9") == (False, refusal)
    assert goodbye("s8", "d@exemple.fr", "198.51.100.10")[0]
