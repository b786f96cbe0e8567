"""Appointments as iCalendar (RFC 5545), so mediators see them in their own calendar software.

`appointment_ics` gives one appointment (a file to attach or download); `mediator_feed` gives
a mediator's whole calendar for a subscription URL. The `icalendar` library does the escaping
and the line folding: names typed by the public can hold anything (HTML, newlines, « ; »).

- UID `<reference>@mediation-tpe` never changes, so a client updates the event in place.
- SEQUENCE is the appointment's revision count (`Appointment.sequence`): raised when it is
  moved to another slot or cancelled, so a client sees the newer version as newer.
- Times are written in Europe/Paris with its VTIMEZONE, as a mediator's calendar shows them.
- Only what the mediator needs to hold the appointment: the need, the reference and, when the
  person consented to be contacted, how to reach them. No profile, no company, no transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

from icalendar import Calendar, Event, vCalAddress, vText

from bot.domain import catalog
from bot.settings import PARIS
from bot.store.statuses import AppointmentStatus
from bot.store.tables import Appointment, Dossier, Mediator

PRODID = "-//Médiation numérique des TPE//Assistant//FR"
UID_DOMAIN = "mediation-tpe"


def appointment_uid(appointment: Appointment) -> str:
    return f"{appointment.reference}@{UID_DOMAIN}"


NO_NEED = "demande"  # need_label without a confirmed need


def need_label(dossier: Dossier) -> str:
    """The mediator's correction if any, else the last need the person confirmed, else « demande »."""
    need_id = dossier.corrected_need or next((n.corrected_to or n.intent for n in reversed(dossier.needs) if n.confirmed), None)
    need = catalog.need(need_id) if need_id else None
    return need.label if need else NO_NEED


def _description(appointment: Appointment) -> str:
    dossier = appointment.dossier
    lines = [f"Référence : {appointment.reference}"]
    if appointment.status == AppointmentStatus.CANCELLED:
        lines.append("Rendez-vous annulé.")
    if dossier.consent_at is not None:  # contact details are only ever stored with consent
        for label, value in (
            ("Nom", dossier.contact_name),
            ("E-mail", dossier.contact_email),
            ("Téléphone", dossier.contact_phone),
        ):
            if value:
                lines.append(f"{label} : {value}")
    return "\n".join(lines)


def _event(appointment: Appointment, stamp: datetime) -> Event:
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", stamp)
    event.add("sequence", appointment.sequence or 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("dtstart", appointment.slot.starts_at.astimezone(PARIS))
    event.add("dtend", appointment.slot.ends_at.astimezone(PARIS))
    event.add("summary", f"Rendez-vous médiation numérique — {need_label(appointment.dossier)}")
    event.add("description", _description(appointment))
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(
    appointments: list[Appointment],
    name: str | None,
    now: datetime,
    method: str | None = None,
    person: "PersonView | None" = None,
) -> bytes:
    stamp = now.astimezone(timezone.utc)  # when this export was made (DTSTAMP), the caller's moment
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)  # iTIP (RFC 5546): an invitation (REQUEST) or its cancellation (CANCEL)
    if name:
        # icalendar 7 types NAME and X-WR-CALNAME as unknown and would not escape them (a newline
        # even makes it fail): one line, and vText for the TEXT escaping of « ; , \\ ».
        name = vText(" ".join(name.split()))
        calendar.add("name", name)  # RFC 7986
        calendar.add("x-wr-calname", name)  # what most clients still read
    for appointment in sorted(appointments, key=lambda a: (a.slot.starts_at, a.reference)):
        event = _event(appointment, stamp)
        if person is not None:
            _for_person(event, appointment, person)
        calendar.add_component(event)
    if appointments:
        # Whole years around the appointments, so the VTIMEZONE carries both DST rules.
        first = min(a.slot.starts_at.astimezone(PARIS) for a in appointments).year - 1
        last = max(a.slot.ends_at.astimezone(PARIS) for a in appointments).year + 2
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))
    return calendar.to_ical()


def appointment_ics(appointment: Appointment, now: datetime) -> bytes:
    """One appointment as a VCALENDAR holding one VEVENT."""
    return _calendar([appointment], None, now)


@dataclass(frozen=True)
class PersonView:
    """What the person's own copy says instead of the mediator's notes (bot/mail/notices.py)."""

    organizer_email: str  # the service's sender address
    attendee_email: str  # the person's address
    description: str  # how and where, the mediator's first name, the reference
    location: str | None  # the address of a « sur place » appointment


def _for_person(event: Event, appointment: Appointment, person: PersonView) -> None:
    event["summary"] = vText("Rendez-vous médiation numérique")
    event["description"] = vText(person.description)
    if person.location:
        event.add("location", person.location)
    event.add("organizer", vCalAddress(f"mailto:{person.organizer_email}"))
    attendee = vCalAddress(f"mailto:{person.attendee_email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)


def person_invitation(appointment: Appointment, person: PersonView, now: datetime) -> bytes:
    """The person's copy, sent by e-mail: METHOD:REQUEST (or CANCEL once cancelled), the same UID
    and SEQUENCE as the mediator's calendar, so a later version replaces the earlier one."""
    method = "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST"
    return _calendar([appointment], None, now, method=method, person=person)


def mediator_feed(mediator: Mediator, appointments: Iterable[Appointment], now: datetime) -> bytes:
    """The mediator's appointments (cancelled ones too, as STATUS:CANCELLED, so clients remove them)."""
    own = [a for a in appointments if a.slot.mediator_id == mediator.id]
    return _calendar(own, f"Rendez-vous médiation — {mediator.name}", now)
