"""The queue (/mediateurs/file): the dossiers waiting, filtered by status, need or mediator."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.mail import notices
from bot.store import casework, outbox
from bot.web.console.common import STATUS_LABELS, mediators_by_name, need_labels, render
from bot.web.handlers import in_db, now_of


async def queue_page(request: Request, me) -> Response:
    status = request.query_params.get("statut") or None
    need = request.query_params.get("besoin") or None
    mediator = request.query_params.get("mediateur") or None
    if status not in (None, *STATUS_LABELS):
        raise HTTPException(400, "Statut inconnu.")
    if need not in (None, *need_labels()):
        raise HTTPException(400, "Besoin inconnu.")
    try:
        mediator_id = int(mediator) if mediator else None
    except ValueError:
        raise HTTPException(400, "Médiateur inconnu.") from None

    def load(session):
        now = now_of(request)
        # a deadline within a week, a penalty, a cyber attack: flagged, and listed right after the
        # people waiting live, even when the person asked for nobody (bot/store/casework.py)
        entries = casework.queue(session, now=now, status=status, need=need, mediator_id=mediator_id)
        undelivered = outbox.dossiers_with_failures(session, [e.dossier.id for e in entries], notices.PERSON_KINDS)
        return entries, casework.counts_by_status(session), mediators_by_name(session), undelivered

    entries, counts, mediators, undelivered = await in_db(request, load)
    return render(
        request,
        "console/queue.html",
        {
            "entries": entries,
            "counts": counts,
            "mediators": mediators,
            "undelivered": undelivered,
            "filters": {"statut": status, "besoin": need, "mediateur": mediator_id},
            # the page reloads itself every minute: marked, so that it does not count as activity
            "refresh_url": f"{request.url.path}?{urlencode({**request.query_params, 'auto': '1'})}",
        },
    )
