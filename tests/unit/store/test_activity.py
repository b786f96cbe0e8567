"""Activity figures for the dashboard and funders' CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot.store import accounts, activity, casework, db, dossiers
from bot.store.tables import Dossier
from tests.support.clock import AT


def test_weeks_needs_outcomes_satisfaction_and_pickup_time(url):
    monday = datetime(2030, 3, 4, 10, 0, tzinfo=timezone.utc)  # ISO week 10
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Awa", "awa@example.org", now=AT)
        for name, need, week, answered, redirect, score in [
            ("a", "presence_en_ligne", 0, True, [], 5),
            ("b", "presence_en_ligne", 0, None, ["cci"], 3),
            ("c", "demarches_en_ligne", 2, False, [], None),
        ]:
            dossiers.record_need(session, name, need, 0.9, now=AT)
            dossiers.confirm_latest_need(session, name, True, now=AT)
            if answered is not None:
                dossiers.record_answered(session, name, answered, now=AT)
            if redirect:
                dossiers.record_redirect(session, name, redirect, now=AT)
            dossiers.record_leave(session, name, None, score, now=AT)
            session.execute(
                update(Dossier).where(Dossier.conversation_id == name).values(created_at=monday + timedelta(weeks=week))
            )
        session.commit()
        c = session.query(Dossier).filter_by(conversation_id="c").one()
        assert casework.claim(session, c.id, mediator.id, 30, now=monday + timedelta(weeks=2, hours=3))

        figures = activity.activity(session, date(2030, 3, 4), date(2030, 3, 24))
    assert figures.per_week == [("2030-S10", 2), ("2030-S11", 0), ("2030-S12", 1)]
    assert dict(figures.needs)["Être plus visible en ligne"] == 2 and dict(figures.needs)["Faire une démarche en ligne"] == 1
    assert dict(figures.outcomes) == {
        "répondu par l'assistant": 1,
        "orienté vers une structure": 1,
        "confié à une personne": 1,
        "sans suite connue": 0,
    }
    assert figures.satisfaction_mean == 4 and figures.pickup_median_hours == 3.0
    rows = list(csv.reader(io.StringIO(activity.activity_csv(figures))))
    assert ["conversations", "3", activity.COUNTS["conversations"]] in rows and ["2030-S12", "1"] in rows
    with pytest.raises(ValueError):
        activity.activity(session, date(2030, 3, 4), date(2030, 3, 1))
