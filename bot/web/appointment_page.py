"""/rendez-vous/<token>: the page the link in the person's e-mail opens (bot/mail/links.py).

It shows the appointment (when, how, where, with whom) and lets the person cancel it or move it to
another free slot. No login: the signed, single-purpose link is the key, valid until the
appointment starts; a forged, altered or expired link gets a plain page saying how to reach us.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.domain import catalog
from bot.mail import links, notices, texts
from bot.store import self_service
from bot.web.handlers import back_to, in_db, now_of, settings_of
from bot.web.templating import templates

MAX_FORM_BYTES = 2048


def page(request: Request, context: dict, status_code: int = 200) -> Response:
    response = templates.TemplateResponse(
        request,
        "appointment.html",
        {"service": catalog.service_contact(), "base": f"/rendez-vous/{request.path_params['token']}", **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


def reference_of(request: Request) -> str | None:
    return links.appointment_reference(settings_of(request).session_secret, request.path_params["token"], now=now_of(request))


def view(found, free):
    slot = found.slot
    mediator = notices.first_name(slot.mediator.name)
    return {
        "reference": found.reference,
        "status": found.status,
        "quand": notices.french_date_time(slot.starts_at),
        "mode": texts.mode_label(slot.mode or "telephone") + (f", {slot.place}" if slot.mode == "sur_place" else ""),
        "mediateur": mediator,
        "free": [
            (
                s.id,
                notices.french_date_time(s.starts_at),
                notices.first_name(s.mediator.name),
                texts.mode_label(s.mode or "telephone"),
            )
            for s in free
        ],
    }


async def show(request: Request) -> Response:
    reference = reference_of(request)
    if reference is None:
        return page(request, {"invalid": True}, status_code=404)
    message = request.query_params.get("fait")

    def load(session):
        found = self_service.appointment(session, reference)
        if found is None:
            return None
        return view(found, self_service.other_free_slots(session, now=now_of(request)))

    context = await in_db(request, load)
    if context is None:
        return page(request, {"invalid": True}, status_code=404)
    done = {
        "annule": "Votre rendez-vous est annulé. Un e-mail vous le confirme.",
        "deplace": "Votre rendez-vous est déplacé. Un e-mail vous donne le nouveau moment.",
    }.get(message)
    return page(request, {**context, "done": done, "error": None})


async def change(request: Request, action: str) -> Response:
    reference = reference_of(request)
    if reference is None:
        return page(request, {"invalid": True}, status_code=404)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return page(request, {"invalid": True}, status_code=413)
    form = await request.form()

    def run(session):
        now = now_of(request)
        if action == "annuler":
            self_service.cancel(session, reference, now=now)
            return "annule"
        try:
            slot_id = int(str(form.get("creneau", "")))
        except ValueError:
            raise self_service.SelfServiceError("Choisissez un nouveau moment dans la liste.") from None
        self_service.move(session, reference, slot_id, now=now)
        return "deplace"

    def again(error: str):
        """After a refusal: the page as it is now, saying why."""

        def load(session):
            found = self_service.appointment(session, reference)
            context = view(found, self_service.other_free_slots(session, now=now_of(request))) if found else {"invalid": True}
            return {**context, "done": None, "error": error}

        return load

    try:
        done, refused = await in_db(request, run), None
    except self_service.SelfServiceError as error:  # raised out of in_db: nothing of it is committed
        done, refused = None, await in_db(request, again(str(error)))
    if refused is not None:
        return page(request, refused, status_code=409)
    return back_to(f"/rendez-vous/{request.path_params['token']}?fait={done}")


async def cancel(request: Request) -> Response:
    return await change(request, "annuler")


async def move(request: Request) -> Response:
    return await change(request, "deplacer")


routes = [
    Route("/rendez-vous/{token}", show, methods=["GET"]),
    Route("/rendez-vous/{token}/annuler", cancel, methods=["POST"]),
    Route("/rendez-vous/{token}/deplacer", move, methods=["POST"]),
]
