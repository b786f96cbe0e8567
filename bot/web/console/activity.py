"""The activity figures over a period (/mediateurs/activite, also as CSV) and the dossiers' CSV
export."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.settings import PARIS
from bot.web.console.common import render
from bot.web.handlers import in_db, now_of


async def activity_page(request: Request, me) -> Response:
    from bot.store import activity

    today = now_of(request).astimezone(PARIS).date()
    try:
        start = date.fromisoformat(request.query_params.get("du") or (today - timedelta(weeks=12)).isoformat())
        end = date.fromisoformat(request.query_params.get("au") or today.isoformat())
        if end < start or (end - start).days > 3 * 366:
            raise ValueError
    except ValueError:
        raise HTTPException(400, "Période invalide : dates AAAA-MM-JJ, la fin après le début, 3 ans au plus.") from None
    figures = await in_db(request, lambda session: activity.activity(session, start, end))
    if request.query_params.get("format") == "csv":
        return Response(
            activity.activity_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="activite-{start}-{end}.csv"'},
        )
    charts = [  # (title, bars, what the figure counts)
        ("Conversations par semaine", activity.bar_widths(figures.per_week), activity.COUNTS["semaine"]),
        ("Besoins confirmés", activity.bar_widths(figures.needs), activity.COUNTS["besoin confirmé"]),
        ("Issue des conversations", activity.bar_widths(figures.outcomes), activity.COUNTS["issue"]),
        ("Notes de satisfaction", activity.bar_widths(figures.satisfaction), activity.COUNTS["note de satisfaction"]),
    ]
    context = {"figures": figures, "charts": charts, "counts": activity.COUNTS, "outcome_counts": activity.OUTCOME_COUNTS}
    return render(request, "console/activity.html", context)


async def export_csv(request: Request, me) -> Response:
    from bot.store import reporting

    personal = request.query_params.get("personnel") == "1"
    if personal and not me.is_admin:
        raise HTTPException(403, "Les données personnelles sont réservées aux administrateurs.")
    body = await in_db(request, lambda session: reporting.dossiers_csv(session, include_personal=personal))
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'}
    )
