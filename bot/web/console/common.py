"""What every console page shares: the labels the templates show, `render` (a page with the
session's identity, flash message and CSRF token, never cached), `dossier_action` (a POST on a
dossier) and the team's list of mediators."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import catalog
from bot.store import accounts, casework, errors
from bot.store.statuses import DossierStatus
from bot.store.tables import Mediator
from bot.web.handlers import PREFIX, back_to, flash, identity_of, in_db, login_required, now_of, settings_of
from bot.web.templating import templates

STATUS_LABELS = {DossierStatus.NEW: "Nouveau", DossierStatus.IN_PROGRESS: "En cours", DossierStatus.CLOSED: "Clos"}
# who said a transcript line (a mediator: their first name); console.js has the same labels
SPEAKER_LABELS = {"personne": "Personne", "assistant": "Assistant", "info": "Info"}
# how a live exchange ended (LiveChat.ended_by)
LIVE_END_LABELS = {
    "person": "la personne a quitté l'échange",
    "mediator": "terminé par le médiateur",
    "handback": "rendu à l'assistant",
    "timeout": "personne n'a pu rejoindre à temps (rappel proposé)",
    "absent": "le médiateur s'est absenté (rappel proposé)",
}


@cache
def need_labels() -> dict[str, str]:
    return {n.id: n.label for n in catalog.needs()}


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    context = {
        "me": identity_of(request),
        "flash": request.session.pop("flash", None),
        "csrftoken": request.scope["csrftoken"](),
        "need_labels": need_labels(),
        "status_labels": STATUS_LABELS,
        "speaker_labels": SPEAKER_LABELS,
        "live_end_labels": LIVE_END_LABELS,
        "prefix": PREFIX,
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def dossier_action(work: Callable[[Any, Any, Any, dict, datetime, int], str], admin: bool = False):
    """A POST on a dossier: run `work(session, dossier, me, form, now, lease)`, say what happened
    (`lease`: CLAIM_LEASE_MINUTES)."""

    async def handler(request: Request, me) -> Response:
        dossier_id = request.path_params["dossier_id"]
        form = dict(await request.form())
        lease = settings_of(request).claim_lease_minutes

        def run(session):
            now = now_of(request)
            dossier = casework.dossier_for_console(session, dossier_id, now=now)
            if dossier is None:
                raise HTTPException(404, "Dossier introuvable.")
            return work(session, dossier, me, form, now, lease)

        try:
            flash(request, await in_db(request, run), "ok")
        except errors.Refused as refused:  # raised out of in_db: nothing of it is committed
            flash(request, str(refused), "erreur")
        return back_to(f"{PREFIX}/dossiers/{dossier_id}")

    return login_required(handler, admin=admin)


def mediators_by_name(session) -> list[Mediator]:
    return accounts.mediators(session, by_name=True)
