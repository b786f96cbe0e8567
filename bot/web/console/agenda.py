"""A mediator's agenda: upcoming appointments, cancelling or moving one, its calendar file, and the
private calendar feed (/calendrier/<token>.ics)."""

from __future__ import annotations

from datetime import timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.store import accounts, casework, notifications, scheduling
from bot.store.tables import Appointment
from bot.web.console.common import render
from bot.web.handlers import PREFIX, back_to, flash, in_db, now_of
from bot.web.templating import local


async def agenda_page(request: Request, me) -> Response:
    def load(session):
        mediator = accounts.mediator_by_id(session, me.id)
        now = now_of(request)
        return {
            "appointments": casework.upcoming_appointments(session, me.id, now),
            "free_slots": scheduling.open_slots_of(session, mediator, after=now, limit=40),
            "feed_token": accounts.calendar_token(session, mediator),  # committed with the page's read (in_db)
        }

    context = await in_db(request, load)
    feed_url = f"{request.url.scheme}://{request.url.netloc}/calendrier/{context['feed_token']}.ics"
    return render(request, "console/agenda.html", {**context, "feed_url": feed_url})


async def cancel_appointment(request: Request, me) -> Response:
    reference = request.path_params["reference"]

    def run(session):
        appointment = _own_appointment(session, reference, me)
        scheduling.cancel_appointment(session, reference)
        now = now_of(request)
        casework.audit(session, appointment.dossier, me.id, "rdv_annule", reference, at=now)
        notifications.appointment_cancelled(session, appointment, appointment.dossier, now=now)
        return notifications.person_reachable(appointment.dossier)

    told = await in_db(request, run)
    flash(
        request,
        f"Rendez-vous {reference} annulé ; le créneau est de nouveau libre. "
        + ("La personne en est avertie par e-mail." if told else "Prévenez la personne."),
    )
    return back_to(f"{PREFIX}/agenda")


async def move_appointment(request: Request, me) -> Response:
    reference = request.path_params["reference"]
    form = await request.form()
    try:
        slot_id = int(form.get("creneau", ""))
    except ValueError:
        flash(request, "Choisissez un créneau.", "erreur")
        return back_to(f"{PREFIX}/agenda")

    def run(session):
        appointment = _own_appointment(session, reference, me)
        slot = scheduling.slot_by_id(session, slot_id)
        if slot is None or slot.mediator_id != appointment.slot.mediator_id:
            return "Ce créneau n'existe pas dans cet agenda.", "erreur"
        try:
            moved = scheduling.move_appointment(session, reference, slot_id)
        except scheduling.SlotTaken:  # only the move's savepoint was undone: nothing else was written
            return "Ce créneau vient d'être pris. Choisissez-en un autre.", "erreur"
        now = now_of(request)
        casework.audit(session, moved.dossier, me.id, "rdv_deplace", f"{reference} → {local(moved.slot.starts_at)}", at=now)
        notifications.appointment_confirmation(session, moved, moved.dossier, now=now)
        told = (
            "La personne en est avertie par e-mail." if notifications.person_reachable(moved.dossier) else "Prévenez la personne."
        )
        return f"Rendez-vous {reference} déplacé au {local(moved.slot.starts_at)}. {told}", "ok"

    flash(request, *await in_db(request, run))
    return back_to(f"{PREFIX}/agenda")


async def appointment_ics(request: Request, me) -> Response:
    from bot.mail import calendar_ics

    reference = request.path_params["reference"]

    def run(session):
        appointment = _own_appointment(session, reference, me)
        return calendar_ics.appointment_ics(appointment, now=now_of(request))

    body = await in_db(request, run)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rendez-vous-{reference}.ics"'},
    )


async def calendar_feed(request: Request) -> Response:
    from bot.mail import calendar_ics

    token = request.path_params["token"]

    def run(session):
        mediator = accounts.mediator_by_calendar_token(session, token)
        if mediator is None or len(token) < 32:
            raise HTTPException(404, "Calendrier introuvable.")
        appointments = casework.upcoming_appointments(session, mediator.id, now_of(request) - timedelta(days=60))
        return calendar_ics.mediator_feed(mediator, appointments, now=now_of(request))

    return Response(await in_db(request, run), media_type="text/calendar; charset=utf-8")


def _own_appointment(session, reference: str, me: accounts.Identity) -> Appointment:
    """The appointment with this reference, if it is in the mediator's agenda (or they are admin)."""
    appointment = scheduling.appointment_by_reference(session, reference)
    if appointment is None:
        raise HTTPException(404, "Rendez-vous introuvable.")
    if appointment.slot.mediator_id != me.id and not me.is_admin:
        raise HTTPException(403, "Ce rendez-vous n'est pas le vôtre.")
    return appointment
