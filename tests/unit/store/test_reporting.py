"""Activity reporting CSV: shareable by default, personal columns on request, no formula injection."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from bot.store import accounts, db, dossiers, reporting, scheduling
from bot.store.tables import Dossier
from tests.support.clock import AT


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def fill(session) -> tuple[int, int]:
    mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
    scheduling.open_slots(session, mediator, [datetime(2030, 1, 7, 9, tzinfo=timezone.utc)], 60)
    dossiers.record_need(session, "full", "presence_en_ligne", 0.7, now=AT)
    dossiers.confirm_latest_need(session, "full", False, now=AT)
    dossiers.record_need(session, "full", "nouveaux_services_digitaux", 1.0, now=AT)
    dossiers.confirm_latest_need(session, "full", True, now=AT)
    dossiers.record_assessment(
        session, "full", 3, "intermediaire", "strategique", {"entreprise": "Boulangerie Martin", "secteur": "commerce"}, now=AT
    )
    dossiers.record_answer(session, "full", "nouveaux_services_digitaux", "strategique", [], ["cci", "region"], now=AT)
    dossiers.record_answered(session, "full", False, now=AT)
    dossiers.record_contact(
        session, "full", "Jeanne Martin", "jeanne@example.org", "+33 6 12 34 56 78", datetime.now(timezone.utc), now=AT
    )
    scheduling.request_callback(session, "full", "mardi matin", date(2030, 1, 10), now=AT)
    dossiers.record_leave(session, "full", True, 5, "Merci", now=AT)
    dossier = dossiers.by_conversation(session, "full")
    dossier.created_at = datetime(2030, 1, 6, 23, 30, tzinfo=timezone.utc)  # 7 January in Paris
    dossier.status, dossier.closed_at = "clos", datetime(2030, 7, 1, 8, 0, tzinfo=timezone.utc)
    dossier.triage_correct, dossier.corrected_need = False, "strategie_numerique"
    session.commit()
    scheduling.book_slot(session, "full", mediator.slots[0].id, now=AT)
    empty = dossiers.get_or_create_dossier(session, "empty", AT)
    session.commit()
    return dossier.id, empty.id


def test_shareable_export_has_no_personal_data(url):
    with db.session(url) as session:
        full, empty = fill(session)
        text = reporting.dossiers_csv(session)

    assert text.splitlines()[0] == (
        "id,created_at,status,needs,confirmed,maturity_level,skill_level,nature,answered,redirect,"
        "appointment,callback,satisfaction,closed_at,triage_correct,corrected_need"
    )
    first, second = rows(text)
    assert first == {
        "id": str(full),
        "created_at": "2030-01-07 00:30",
        "status": "clos",
        "needs": "presence_en_ligne;nouveaux_services_digitaux",
        "confirmed": "nouveaux_services_digitaux",
        "maturity_level": "3",
        "skill_level": "intermediaire",
        "nature": "strategique",
        "answered": "non",
        "redirect": "cci;region",
        "appointment": "oui",
        "callback": "oui",
        "satisfaction": "5",
        "closed_at": "2030-07-01 10:00",
        "triage_correct": "non",
        "corrected_need": "strategie_numerique",
    }
    assert second["id"] == str(empty) and second["status"] == "nouveau"
    assert (second["needs"], second["appointment"], second["callback"], second["answered"]) == ("", "non", "non", "")
    for secret in ("Jeanne", "jeanne@example.org", "12 34", "Boulangerie", "Merci", "mardi"):
        assert secret not in text


def test_personal_columns_on_request(url):
    with db.session(url) as session:
        fill(session)
        text = reporting.dossiers_csv(session, include_personal=True)
    first, second = rows(text)
    assert list(first)[-4:] == ["contact_name", "contact_email", "contact_phone", "entreprise"]
    assert (first["contact_name"], first["contact_email"], first["entreprise"]) == (
        "Jeanne Martin",
        "jeanne@example.org",
        "Boulangerie Martin",
    )
    assert first["contact_phone"] == "'+33 6 12 34 56 78"  # the guard: a spreadsheet would compute it
    assert [second[c] for c in reporting.PERSONAL_COLUMNS] == ["", "", "", ""]


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","clic")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_injection_guard(url, value):
    with db.session(url) as session:
        dossiers.update_profile(session, "c1", {"entreprise": value}, now=AT)
        dossier = session.get(Dossier, dossiers.by_conversation(session, "c1").id)
        dossier.contact_name, dossier.contact_email = value, "a@b.fr"
        dossier.consent_at = datetime.now(timezone.utc)
        dossier.corrected_need = value
        session.commit()
        text = reporting.dossiers_csv(session, include_personal=True)
        shared = reporting.dossiers_csv(session)
    [row] = rows(text)
    assert row["contact_name"] == row["entreprise"] == row["corrected_need"] == "'" + value
    assert row["contact_email"] == "a@b.fr"
    assert rows(shared)[0]["corrected_need"] == "'" + value


def test_texts_with_commas_quotes_and_newlines_stay_one_cell(url):
    with db.session(url) as session:
        dossiers.update_profile(session, "c1", {"entreprise": 'Martin, "Fils"\net Cie'}, now=AT)
        session.commit()
        [row] = rows(reporting.dossiers_csv(session, include_personal=True))
    assert row["entreprise"] == 'Martin, "Fils"\net Cie'
