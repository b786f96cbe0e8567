"""Each activity figure held to a scripted set of conversations, run through the actions as the
action server runs them (bot/store/activity.py says in one line what each counts).

The figure a funder reads as « orientés » counts people who were shown a structure: pistes
computed for a need (which carry structures) do not make anyone « orienté »."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from rasa_sdk import Tracker

from actions.answering import ActionAnswered, ActionPresentSolutions, ActionShowDetail
from actions.dossier import record
from actions.redirecting import ActionRedirectOutOfScope
from bot.domain import knowledge
from bot.settings import PARIS
from bot.store import activity, db, dossiers
from bot.store.dossier_writes import ConfirmLatestNeed, RecordLeave, RecordNeed, RequestCallback
from tests.support.actions import run

pytestmark = pytest.mark.usefixtures("store_url")
ONLINE = {"besoin": "presence_en_ligne", "secteur": "batiment"}


def tracker(sender: str, text: str = "", intent: str | None = None, detail: str | None = None, slots=None) -> Tracker:
    message = {"text": text, "entities": [{"entity": "detail", "value": detail}] if detail else []}
    if intent:
        message["intent"] = {"name": intent, "confidence": 0.9}
    return Tracker(sender, slots if slots is not None else ONLINE, message, [], False, None, {}, "action_listen")


def a_need(sender: str, confirmed: bool) -> None:
    record(sender, RecordNeed("presence_en_ligne", 0.9))
    if confirmed:
        record(sender, ConfirmLatestNeed(True))


def scripted_conversations() -> None:
    # 1. pistes, then « Oui, merci »: answered by the assistant
    a_need("answered", confirmed=True)
    run(ActionPresentSolutions(), tracker("answered"))
    run(ActionAnswered(), tracker("answered", "oui", "affirm"))
    record("answered", RecordLeave(None, 5))
    # 2. pistes, one opened, never « Où m'adresser ? »: structures computed, none shown
    a_need("computed", confirmed=True)
    run(ActionPresentSolutions(), tracker("computed"))
    first = knowledge.solutions_for("presence_en_ligne")[0]
    run(ActionShowDetail(), tracker("computed", "/voir_detail", "voir_detail", first.id))
    record("computed", RecordLeave(None, 3))
    # 3. pistes, then « Où m'adresser ? »: shown the structures
    a_need("shown", confirmed=False)
    run(ActionPresentSolutions(), tracker("shown"))
    run(ActionShowDetail(), tracker("shown", "/voir_detail", "voir_detail", "contacts"))
    # 4. out of scope, with structures named in the answer
    run(ActionRedirectOutOfScope(), tracker("outside", "je dois licencier un salarié, comment faire ?", slots={}))
    # 5. pistes, then a call back: handed to a person (whatever else happened)
    a_need("handed", confirmed=True)
    run(ActionPresentSolutions(), tracker("handed"))
    run(ActionShowDetail(), tracker("handed", "/voir_detail", "voir_detail", "contacts"))
    record("handed", RequestCallback("le matin", None))


def test_each_figure_counts_what_its_line_says(store_url):
    scripted_conversations()
    with db.session(store_url) as session:
        found = {d.conversation_id: d for d in dossiers.list_dossiers(session)}
        assert found["computed"].redirect == [] and found["computed"].opened == [first_solution()]
        assert found["shown"].redirect and found["outside"].redirect
        assert found["outside"].out_of_scope == ["rh_droit_du_travail"]
        days = [d.created_at.astimezone(PARIS).date() for d in found.values()]
        figures = activity.activity(session, min(days) - timedelta(days=1), max(days) + timedelta(days=1))
    assert figures.total == 5  # « dossiers ouverts dans la période »
    assert dict(figures.outcomes) == {
        "confié à une personne": 1,  # the call back, though it was shown structures too
        "répondu par l'assistant": 1,
        "orienté vers une structure": 2,  # « Où m'adresser ? » and the out-of-scope answer; not « computed »
        "sans suite connue": 1,  # pistes computed with structures, none shown
    }
    assert dict(figures.needs)["Être plus visible en ligne"] == 3  # confirmed only: « shown » said nothing
    assert dict(figures.satisfaction) == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1} and figures.satisfaction_mean == 4
    assert figures.pickup_hours == []  # nobody claimed yet: no pickup time
    rows = list(csv.reader(io.StringIO(activity.activity_csv(figures))))
    assert ["conversations", "5", activity.COUNTS["conversations"]] in rows
    for outcome, count in figures.outcomes:
        assert [outcome, str(count), activity.OUTCOME_COUNTS[outcome]] in rows  # each figure with what it counts


def first_solution() -> str:
    return knowledge.solutions_for("presence_en_ligne")[0].id
