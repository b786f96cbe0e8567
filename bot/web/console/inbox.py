"""« Phrases à revoir » (/mediateurs/phrases): the first messages the assistant did not understand,
understood with little confidence, or understood wrongly, grouped by their words, the most recent
first (bot/store/review_inbox.py). A mediator gives the right need, « Hors sujet », or dismisses
the phrase, in one click for the whole group; each decision is kept with who and when. Texts are
masked (e-mails, phone numbers, names) before they reach the page. `bot export-training` turns
the decisions into training examples."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import review
from bot.store import errors, review_inbox
from bot.web.console.common import render
from bot.web.handlers import PREFIX, back_to, flash, in_db, now_of

DECIDED_VIEW = "decidees"


def decision_labels() -> dict[str, str]:
    """What a decision is called once made (« Écarter » becomes « Écartée »)."""
    return {**dict(review.decisions()), review.DISMISSED: "Écartée"}


async def inbox_page(request: Request, me) -> Response:
    view = request.query_params.get("vue") or ""
    if view not in ("", DECIDED_VIEW):
        raise HTTPException(400, "Vue inconnue.")
    decided = view == DECIDED_VIEW

    def load(session):
        return review_inbox.groups(session, decided=decided), review_inbox.pending_count(session)

    groups, pending = await in_db(request, load)
    return render(
        request,
        "console/inbox.html",
        {
            "groups": groups,
            "pending": pending,
            "decided": decided,
            "decisions": review.decisions(),
            "decision_labels": decision_labels(),
        },
    )


async def decide(request: Request, me) -> Response:
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    decision = str(form.get("decision") or "")
    back = f"{PREFIX}/phrases" + (f"?vue={DECIDED_VIEW}" if form.get("vue") == DECIDED_VIEW else "")
    now = now_of(request)
    try:
        count = await in_db(request, lambda session: review_inbox.decide(session, entry_id, decision, me.id, now=now))
    except errors.Refused as refused:
        flash(request, str(refused), "erreur")
        return back_to(back)
    label = decision_labels()[decision]
    messages = "1 message" if count == 1 else f"{count} messages"
    flash(request, f"Phrase classée : « {label} » ({messages}). Merci !", "ok")
    return back_to(back)
