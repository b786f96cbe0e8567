"""Dossiers as CSV for activity reporting (funders, steering committee): what was asked, how far it
went, how it ended. Without personal data unless asked for, so the default export can be shared.

Cells that a spreadsheet would run as a formula (starting with « = + - @ », tab or carriage
return) get a leading apostrophe: the texts come from the public and must stay texts.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.settings import PARIS
from bot.store.statuses import AppointmentStatus
from bot.store.tables import Dossier

COLUMNS = [
    "id",
    "created_at",
    "status",
    "needs",
    "confirmed",
    "maturity_level",
    "skill_level",
    "nature",
    "answered",
    "redirect",
    "appointment",
    "callback",
    "satisfaction",
    "closed_at",
    "triage_correct",
    "corrected_need",
]
PERSONAL_COLUMNS = ["contact_name", "contact_email", "contact_phone", "entreprise"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _paris(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") if moment else ""


def dossier_row(dossier: Dossier, include_personal: bool = False) -> list[str]:
    """needs: every need recognised, in order; confirmed: those the person confirmed."""
    row = [
        dossier.id,
        _paris(dossier.created_at),
        dossier.status,
        ";".join(n.intent for n in dossier.needs),
        ";".join(n.intent for n in dossier.needs if n.confirmed),
        dossier.maturity_level,
        dossier.skill_level,
        dossier.nature,
        dossier.answered,
        ";".join(dossier.redirect or []),
        any(a.status == AppointmentStatus.CONFIRMED for a in dossier.appointments),
        bool(dossier.callbacks),
        dossier.satisfaction,
        _paris(dossier.closed_at),
        dossier.triage_correct,
        dossier.corrected_need,
    ]
    if include_personal:
        row += [dossier.contact_name, dossier.contact_email, dossier.contact_phone, (dossier.profile or {}).get("entreprise")]
    return [safe_cell(value) for value in row]


def dossiers_csv(session: Session, include_personal: bool = False) -> str:
    """Every dossier, oldest first, with a header line."""
    dossiers = session.execute(
        select(Dossier)
        .options(selectinload(Dossier.needs), selectinload(Dossier.appointments), selectinload(Dossier.callbacks))
        .order_by(Dossier.id)
    ).scalars()
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS + (PERSONAL_COLUMNS if include_personal else []))
    for dossier in dossiers:
        writer.writerow(dossier_row(dossier, include_personal))
    return out.getvalue()
