"""Appointments as iCalendar, built from real rows and parsed back with icalendar."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from bot.mail.calendar_ics import appointment_ics, mediator_feed
from bot.settings import PARIS
from bot.store import accounts, db, dossiers, scheduling
from tests.support.clock import AT

SUMMER_START = datetime(2026, 7, 7, 9, 30, tzinfo=PARIS)  # 07:30 UTC
WINTER_START = datetime(2026, 12, 8, 14, 0, tzinfo=PARIS)  # 13:00 UTC


def book(
    session,
    conversation_id: str,
    mediator,
    start: datetime,
    *,
    contact: dict | None = None,
    need: str | None = "presence_en_ligne",
):
    scheduling.open_slots(session, mediator, [start], 60)
    slot = next(s for s in mediator.slots if s.starts_at == start)
    if need:
        dossiers.record_need(session, conversation_id, need, 0.9, now=AT)
        dossiers.confirm_latest_need(session, conversation_id, True, now=AT)
    dossiers.update_profile(session, conversation_id, {"entreprise": "Boulangerie Secrète", "code_postal": "69003"}, now=AT)
    if contact is not None:
        dossiers.record_contact(session, conversation_id, consent_at=AT, **contact, now=AT)
    session.commit()
    return scheduling.book_slot(session, conversation_id, slot.id, now=AT)


def only_event(ics: bytes):
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_one_appointment_is_a_valid_confirmed_event_in_paris_time(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        appointment = book(
            session,
            "conv-1",
            mediator,
            SUMMER_START,
            contact={"name": "Jeanne Dupont", "email": "jeanne@example.org", "phone": "06 12 34 56 78"},
        )
        ics = appointment_ics(appointment, AT)
        calendar, event = only_event(ics)

    assert calendar["VERSION"] == "2.0" and "Médiation numérique" in str(calendar["PRODID"])
    assert str(event["UID"]) == f"{appointment.reference}@mediation-tpe"
    assert event.decoded("SEQUENCE") == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["SUMMARY"]) == "Rendez-vous médiation numérique — Être plus visible en ligne"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris" and event["DTEND"].params["TZID"] == "Europe/Paris"
    assert start == SUMMER_START and end == SUMMER_START + timedelta(hours=1)
    assert start.utcoffset() == timedelta(hours=2)
    assert b"DTSTART;TZID=Europe/Paris:20260707T093000" in ics
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Paris"
    assert {c.name for c in vtimezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    description = str(event["DESCRIPTION"])
    assert appointment.reference in description
    assert "jeanne@example.org" in description and "06 12 34 56 78" in description and "Jeanne Dupont" in description
    assert b"Boulangerie" not in ics and b"69003" not in ics  # no other personal data


def test_uid_is_stable_and_a_cancellation_bumps_sequence(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        appointment = book(session, "conv-1", mediator, WINTER_START)
        _, first = only_event(appointment_ics(appointment, AT))
        _, second = only_event(appointment_ics(appointment, AT))
        assert first["UID"] == second["UID"]

        scheduling.cancel_appointment(session, appointment.reference)
        session.commit()
        _, cancelled = only_event(appointment_ics(appointment, AT))

    assert cancelled["UID"] == first["UID"]
    assert cancelled.decoded("SEQUENCE") == 1 and str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("DTSTART").utcoffset() == timedelta(hours=1)  # winter time


def test_without_consent_no_way_to_reach_the_person_and_default_summary(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        appointment = book(session, "conv-1", mediator, WINTER_START, need=None)
        # contact fields without consent (should not happen; the ICS must still not show them)
        appointment.dossier.contact_email = "leak@example.org"
        session.commit()
        ics = appointment_ics(appointment, AT)
    _, event = only_event(ics)
    assert str(event["SUMMARY"]) == "Rendez-vous médiation numérique — demande"
    assert str(event["DESCRIPTION"]) == f"Référence : {appointment.reference}"
    assert b"leak@example.org" not in ics


def test_mediator_correction_wins_for_the_summary(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        appointment = book(session, "conv-1", mediator, WINTER_START)
        appointment.dossier.triage_correct = False
        appointment.dossier.corrected_need = "former_salaries"
        session.commit()
        _, event = only_event(appointment_ics(appointment, AT))
    assert str(event["SUMMARY"]) == "Rendez-vous médiation numérique — Former mon équipe"


def test_names_with_html_and_newlines_are_escaped_not_interpreted(url):
    nasty = "<b>Jeanne</b>; Dupont, & Cie\nEND:VEVENT\nBEGIN:VEVENT\nUID:pirate"
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille <script>alert(1)</script>\nX", "camille@example.org", now=AT)
        appointment = book(
            session, "conv-1", mediator, WINTER_START, contact={"name": nasty, "email": "jeanne@example.org", "phone": None}
        )
        ics = appointment_ics(appointment, AT)
        feed = mediator_feed(mediator, [appointment], AT)

    for raw in (ics, feed):
        assert b"\nUID:pirate" not in raw and b"\nBEGIN:VEVENT\r\nUID:pirate" not in raw
        assert b"\\nEND:VEVENT\\nBEGIN:VEVENT\\nUID:pirate" in raw.replace(b"\r\n ", b"")  # escaped, unfolded
        assert b"\\; Dupont\\, & Cie" in raw.replace(b"\r\n ", b"")
        calendar = Calendar.from_ical(raw)
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{appointment.reference}@mediation-tpe"
        assert f"Nom : {nasty}" in str(event["DESCRIPTION"])  # the exact text back, as plain text
    unfolded = feed.replace(b"\r\n ", b"")
    assert "X-WR-CALNAME:Rendez-vous médiation — Camille <script>alert(1)</script> X\r\n".encode() in unfolded


def test_mediator_feed_holds_own_appointments_cancelled_included(url):
    with db.session(url) as session:
        camille = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        karim = accounts.add_mediator(session, "Karim Benali", "karim@example.org", now=AT)
        kept = book(session, "conv-1", camille, SUMMER_START)
        cancelled = book(session, "conv-2", camille, WINTER_START)
        other = book(session, "conv-3", karim, WINTER_START)
        scheduling.cancel_appointment(session, cancelled.reference)
        session.commit()
        feed = mediator_feed(camille, [kept, cancelled, other], AT)
        empty = mediator_feed(karim, [], AT)

    calendar = Calendar.from_ical(feed)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{kept.reference}@mediation-tpe", f"{cancelled.reference}@mediation-tpe"}
    assert str(events[f"{kept.reference}@mediation-tpe"]["STATUS"]) == "CONFIRMED"
    gone = events[f"{cancelled.reference}@mediation-tpe"]
    assert str(gone["STATUS"]) == "CANCELLED" and gone.decoded("SEQUENCE") == 1
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert feed.count(b"BEGIN:VTIMEZONE") == 1
    assert str(calendar["X-WR-CALNAME"]) == "Rendez-vous médiation — Camille Martin"

    empty_calendar = Calendar.from_ical(empty)
    assert empty_calendar.walk("VEVENT") == [] and str(empty_calendar["VERSION"]) == "2.0"


def test_moving_an_appointment_keeps_its_uid_and_raises_its_sequence(url):
    with db.session(url) as session:
        mediator = accounts.add_mediator(session, "Camille Martin", "camille@example.org", now=AT)
        appointment = book(session, "conv-1", mediator, WINTER_START)
        _, before = only_event(appointment_ics(appointment, AT))
        scheduling.open_slots(session, mediator, [WINTER_START + timedelta(days=1)], 45)
        other = book(session, "conv-2", mediator, WINTER_START + timedelta(days=2))
        target = next(s for s in mediator.slots if s.starts_at == WINTER_START + timedelta(days=1))
        moved = scheduling.move_appointment(session, appointment.reference, target.id)
        _, after = only_event(appointment_ics(moved, AT))
        with pytest.raises(scheduling.SlotTaken):  # never onto a booked slot
            scheduling.move_appointment(session, moved.reference, other.slot_id)
    assert after["UID"] == before["UID"] and after.decoded("SEQUENCE") == 1
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == timedelta(days=1)
