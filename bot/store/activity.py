"""Activity figures over a period, for the console's dashboard and for funders' reports (CSV).

Only counts and durations: no personal data leaves this module.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.domain import catalog, review
from bot.settings import PARIS
from bot.store import review_inbox
from bot.store.statuses import AppointmentStatus
from bot.store.tables import Dossier

OUTCOMES = ("répondu par l'assistant", "orienté vers une structure", "confié à une personne", "sans suite connue")

# What each figure counts, in one line: said under it on the activity page and beside it in the
# CSV, so that a funder reads the figure as it is computed (tests/unit/actions/test_activity_figures.py
# holds each to a scripted set of conversations).
COUNTS = {
    "conversations": "Dossiers ouverts dans la période (heure de Paris) : une conversation où l'assistant a noté au moins "
    "un besoin, une réponse ou une coordonnée.",
    "délai": "Médiane, sur les dossiers pris en charge, du temps entre l'ouverture du dossier et la première prise en "
    "charge par un médiateur.",
    "satisfaction": "Moyenne des notes de 1 à 5 données en fin d'échange ; qui n'a pas noté ne compte pas.",
    "semaine": "Dossiers ouverts chaque semaine, du lundi au dimanche.",
    "besoin confirmé": "Dossiers où la personne a répondu oui au besoin reformulé ; un dossier compte pour chaque "
    "besoin confirmé, un besoin non confirmé ne compte pas.",
    "issue": "Chaque dossier compte une fois : confié à une personne d'abord, sinon répondu par l'assistant, sinon "
    "orienté vers une structure, sinon sans suite connue.",
    "note de satisfaction": "Nombre de personnes ayant donné chaque note.",
}
OUTCOME_COUNTS = {
    "confié à une personne": "Un rendez-vous confirmé, une demande de rappel, ou un médiateur a pris le dossier en charge.",
    "répondu par l'assistant": "La personne a répondu « Oui, merci » à « Est-ce que cela répond à votre besoin ? ».",
    "orienté vers une structure": "Au moins une structure a été nommée à la personne (« Où m'adresser ? », ou une "
    "demande hors du champ du service) ; calculer des pistes ne suffit pas.",
    "sans suite connue": "Aucun des cas ci-dessus.",
}


@dataclass(frozen=True)
class WeekReading:
    """How the first messages of one week were read (bot/store/review_inbox.py): each counted
    once, a correction first (the person said « non » to the need said back, or a mediator
    corrected the triage), else by the assistant's reading."""

    week: str  # "2026-S47"
    first_messages: int
    understood: int  # a need said back, not corrected
    out_of_scope: int  # read as not a digital matter (redirected elsewhere)
    menu: int  # not sure: the needs offered as buttons
    not_understood: int  # asked to say it again
    corrected: int

    def share(self, count: int) -> int | None:
        """`count` as a whole percentage of the week's first messages (None without any)."""
        return round(100 * count / self.first_messages) if self.first_messages else None


@dataclass
class Activity:
    start: date
    end: date
    per_week: list[tuple[str, int]] = field(default_factory=list)  # ("2026-W47", n)
    needs: list[tuple[str, int]] = field(default_factory=list)  # (need label, n), every need listed
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    satisfaction: list[tuple[str, int]] = field(default_factory=list)  # ("1".."5", n)
    pickup_hours: list[float] = field(default_factory=list)  # dossier creation -> first claim
    understanding: list[WeekReading] = field(default_factory=list)  # per week, first messages

    @property
    def total(self) -> int:
        return sum(n for _, n in self.per_week)

    @property
    def satisfaction_mean(self) -> float | None:
        scores = [int(k) for k, n in self.satisfaction for _ in range(n)]
        return round(statistics.mean(scores), 2) if scores else None

    @property
    def pickup_median_hours(self) -> float | None:
        return round(statistics.median(self.pickup_hours), 1) if self.pickup_hours else None


def outcome_of(dossier: Dossier) -> str:
    if (
        any(a.status == AppointmentStatus.CONFIRMED for a in dossier.appointments)
        or dossier.callbacks
        or dossier.assigned_to
        or any(a.action == "prise_en_charge" for a in dossier.audit)
    ):
        return OUTCOMES[2]
    if dossier.answered:
        return OUTCOMES[0]
    if dossier.redirect:
        return OUTCOMES[1]
    return OUTCOMES[3]


def _week(moment: datetime) -> str:
    year, week, _ = moment.astimezone(PARIS).isocalendar()
    return f"{year}-S{week:02d}"


def activity(session: Session, start: date, end: date) -> Activity:
    """Dossiers created from `start` to `end` included (Paris dates)."""
    if end < start:
        raise ValueError("la fin de la période est avant son début")
    lower = datetime.combine(start, datetime.min.time(), tzinfo=PARIS)
    upper = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    dossiers = (
        session.execute(
            select(Dossier)
            .where(Dossier.created_at >= lower, Dossier.created_at < upper)
            .options(
                selectinload(Dossier.needs),
                selectinload(Dossier.appointments),
                selectinload(Dossier.callbacks),
                selectinload(Dossier.audit),
            )
        )
        .scalars()
        .all()
    )
    result = Activity(start, end)

    weeks = Counter(_week(d.created_at) for d in dossiers)
    day, all_weeks = start, []
    while day <= end:  # every week of the period, empty ones included
        label = _week(datetime.combine(day, datetime.min.time(), tzinfo=PARIS))
        if label not in all_weeks:
            all_weeks.append(label)
        day += timedelta(days=1)
    result.per_week = [(w, weeks.get(w, 0)) for w in all_weeks]

    needs = Counter(n.intent for d in dossiers for n in d.needs if n.confirmed)
    result.needs = [(need.label, needs.get(need.id, 0)) for need in catalog.needs()]

    outcomes = Counter(outcome_of(d) for d in dossiers)
    result.outcomes = [(o, outcomes.get(o, 0)) for o in OUTCOMES]

    scores = Counter(d.satisfaction for d in dossiers if d.satisfaction)
    result.satisfaction = [(str(s), scores.get(s, 0)) for s in range(1, 6)]

    for dossier in dossiers:
        claims = [a.created_at for a in dossier.audit if a.action == "prise_en_charge"]
        if claims:
            result.pickup_hours.append((min(claims) - dossier.created_at).total_seconds() / 3600)
    result.understanding = understanding(review_inbox.readings(session, lower, upper), all_weeks)
    return result


def understanding(readings: list[review_inbox.Reading], weeks: list[str]) -> list[WeekReading]:
    """Per week (every week of the period listed), how the first messages were read."""
    counts: dict[str, Counter] = {week: Counter() for week in weeks}
    for reading in readings:
        if reading.correction is not None:
            kind = "corrected"
        elif reading.reading == review.NEED_SAID_BACK:
            kind = "understood"
        elif reading.reading == review.READ_OUT_OF_SCOPE:
            kind = "out_of_scope"
        elif reading.reading == review.MENU:
            kind = "menu"
        else:
            kind = "not_understood"
        counts.setdefault(_week(reading.received_at), Counter())[kind] += 1
    return [
        WeekReading(
            week,
            sum(c.values()),
            c["understood"],
            c["out_of_scope"],
            c["menu"],
            c["not_understood"],
            c["corrected"],
        )
        for week, c in counts.items()
    ]


def activity_csv(figures: Activity) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["période", figures.start.isoformat(), figures.end.isoformat()])
    writer.writerow(["conversations", figures.total, COUNTS["conversations"]])
    writer.writerow(["délai médian avant prise en charge (heures)", figures.pickup_median_hours or "", COUNTS["délai"]])
    writer.writerow(["satisfaction moyenne (1 à 5)", figures.satisfaction_mean or "", COUNTS["satisfaction"]])
    for title, rows in (
        ("semaine", figures.per_week),
        ("besoin confirmé", figures.needs),
        ("issue", figures.outcomes),
        ("note de satisfaction", figures.satisfaction),
    ):
        writer.writerow([])
        writer.writerow([title, "nombre", COUNTS[title]])
        writer.writerows([label, n, OUTCOME_COUNTS[label]] if title == "issue" else [label, n] for label, n in rows)
    writer.writerow([])
    writer.writerow(
        [
            "semaine",
            "premiers messages",
            "compris (%)",
            "hors sujet (%)",
            "envoyés au menu (%)",
            "pas compris (%)",
            "corrigés (%)",
        ]
    )
    for w in figures.understanding:
        shares = [w.share(n) for n in (w.understood, w.out_of_scope, w.menu, w.not_understood, w.corrected)]
        writer.writerow([w.week, w.first_messages, *("" if v is None else v for v in shares)])
    return out.getvalue()


def bar_widths(rows: list[tuple[str, int]], full: int = 300) -> list[tuple[str, int, int]]:
    """(label, count, bar width in px) for the dashboard's SVG bars."""
    top = max((n for _, n in rows), default=0) or 1
    return [(label, n, round(full * n / top)) for label, n in rows]
