"""A dossier's page and what a mediator does to it: claim, release, note, status, close, and an
admin's erasure of its personal data."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.mail import notices
from bot.store import casework, conversations, dossiers, outbox, retention
from bot.web.console.common import render
from bot.web.handlers import PREFIX, back_to, flash, in_db, now_of, settings_of


async def dossier_page(request: Request, me) -> Response:
    dossier_id = request.path_params["dossier_id"]

    def load(session):
        now = now_of(request)
        dossier = casework.dossier_for_console(session, dossier_id, now=now)
        if dossier is None:
            return None
        data = dossiers.dossier_as_dict(dossier, now=now)
        reason = casework.listed_reason(dossier, bool(data["synthesis"]["urgent"]))  # as the queue says it
        return {
            "dossier": dossier,
            "data": data,
            "transcript": conversations.transcript(session, dossier.conversation_id),
            "reason": reason,
            "mine": casework.holds(dossier, me.id, now=now),
            "retention": retention.status(session, dossier, now=now),
            "live_chat": dossier.live_chats[-1] if dossier.live_chats else None,
            "failed_mails": [
                {"label": notices.kind_label(m.kind), "at": m.finished_at, "error": m.last_error}
                for m in outbox.failed_for_dossier(session, dossier.id, notices.PERSON_KINDS)
            ],
        }

    context = await in_db(request, load)
    if context is None:
        raise HTTPException(404, "Dossier introuvable.")
    return render(request, "console/dossier.html", context)


def claim(session, dossier, me, form, now, lease):
    if not casework.claim(session, dossier.id, me.id, lease, now=now):
        raise casework.CaseworkError("Ce dossier est déjà pris en charge par quelqu'un d'autre.")
    return f"Dossier pris en charge pour {lease} minutes (prolongé à chaque action)."


def release(session, dossier, me, form, now, lease):
    casework.release(session, dossier, me.id, me.is_admin, now=now)
    return "Dossier remis dans la file."


def note(session, dossier, me, form, now, lease):
    casework.add_note(session, dossier, me.id, str(form.get("note", "")), lease, me.is_admin, now=now)
    return "Note ajoutée."


def status(session, dossier, me, form, now, lease):
    casework.change_status(session, dossier, me.id, str(form.get("statut", "")), lease, me.is_admin, now=now)
    return "Statut modifié."


def close(session, dossier, me, form, now, lease):
    correct = form.get("tri_juste") == "oui"
    if form.get("tri_juste") not in ("oui", "non"):
        raise casework.CaseworkError("Dites si le tri était juste.")
    casework.close(
        session,
        dossier,
        me.id,
        str(form.get("suite", "")),
        correct,
        str(form.get("bon_besoin") or "") or None,
        me.is_admin,
        now=now,
    )
    return "Dossier clos. Merci !"


async def erase(request: Request, me) -> Response:
    """An admin erases a dossier's personal data at the person's request (retention.erase_dossier),
    then the .eml copies of its forgotten mails under var/outbox, as « Effacer ma conversation » does."""
    from starlette.concurrency import run_in_threadpool

    from bot.mail import transport

    dossier_id = request.path_params["dossier_id"]

    def run(session):
        now = now_of(request)
        if casework.dossier_for_console(session, dossier_id, now=now) is None:
            raise HTTPException(404, "Dossier introuvable.")
        return retention.erase_dossier(session, dossier_id, me.id, now=now) or []

    forgotten = await in_db(request, run)
    await run_in_threadpool(transport.remove_copies, settings_of(request).outbox_dir, forgotten)
    flash(request, "Les données personnelles de ce dossier ont été effacées.", "ok")
    return back_to(f"{PREFIX}/dossiers/{dossier_id}")
