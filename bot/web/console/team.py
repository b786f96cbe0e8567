"""The team (admins): accounts, their roles and activation, opening slots, the e-mails given up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bot.domain import opening_hours
from bot.mail import notices
from bot.settings import PARIS
from bot.store import accounts, errors, outbox, scheduling
from bot.store.tables import SLOT_MODES
from bot.web.console.common import mediators_by_name, render
from bot.web.handlers import PREFIX, back_to, flash, in_db, now_of

FAILED_MAILS_DAYS = 30  # the team page lists the e-mails given up this recently
ROLE_LABELS = {"mediateur": "médiateur", "admin": "administrateur"}


async def team_page(request: Request, me) -> Response:
    def load(session):
        since = now_of(request) - timedelta(days=FAILED_MAILS_DAYS)
        failed = [
            {
                "label": notices.kind_label(m.kind),
                "at": m.finished_at,
                "error": m.last_error,
                "dossier": m.dossier_id,
                "mediator": _name_of(session, m.mediator_id),
            }
            for m in outbox.failed_since(session, since)
        ]
        return mediators_by_name(session), failed

    mediators, failed = await in_db(request, load)
    return render(
        request,
        "console/team.html",
        {
            "mediators": mediators,
            "roles": accounts.ROLES,
            "role_labels": ROLE_LABELS,
            "failed_mails": failed,
            "failed_days": FAILED_MAILS_DAYS,
        },
    )


async def team_add(request: Request, me) -> Response:
    form = await request.form()

    def run(session):
        accounts.create_account(
            session,
            str(form.get("nom", "")),
            str(form.get("email", "")),
            str(form.get("mot_de_passe", "")),
            str(form.get("role", "mediateur")),
            now=now_of(request),
        )

    try:
        await in_db(request, run)
        flash(request, "Compte créé.", "ok")
    except errors.AccountRefused as refused:  # raised out of in_db: nothing of it is committed
        flash(request, f"Compte non créé : {refused}.", "erreur")
    return back_to(f"{PREFIX}/equipe")


async def team_toggle(request: Request, me) -> Response:
    mediator_id = request.path_params["mediator_id"]

    def run(session):
        mediator = accounts.mediator_by_id(session, mediator_id)
        if mediator is None:
            raise HTTPException(404, "Compte introuvable.")
        if mediator.id == me.id:
            return "Vous ne pouvez pas désactiver votre propre compte.", "erreur"
        accounts.set_active(session, mediator.id, not mediator.active)  # deactivated: its sessions end
        return ("Compte réactivé." if mediator.active else "Compte désactivé."), "ok"

    flash(request, *await in_db(request, run))
    return back_to(f"{PREFIX}/equipe")


async def team_role(request: Request, me) -> Response:
    """An admin changes an account's role: its sessions end (the next login has the new rights);
    never the last active admin's."""
    mediator_id = request.path_params["mediator_id"]
    role = str((await request.form()).get("role", ""))
    if role not in accounts.ROLES:
        flash(request, "Rôle non modifié : rôle inconnu.", "erreur")
        return back_to(f"{PREFIX}/equipe")

    def run(session):
        mediator = accounts.mediator_by_id(session, mediator_id)
        if mediator is None:
            raise HTTPException(404, "Compte introuvable.")
        if mediator.role == role:
            return f"{mediator.name} est déjà {ROLE_LABELS[role]}.", "ok"
        accounts.set_role(session, mediator.id, role)  # its sessions end
        return f"{mediator.name} est maintenant {ROLE_LABELS[role]} ; ses sessions sont fermées.", "ok"

    try:
        message, kind = await in_db(request, run)
    except accounts.LastAdmin as refused:  # raised out of in_db: nothing of it is committed
        message, kind = f"Rôle non modifié : {refused}.", "erreur"
    if mediator_id == me.id and kind == "ok" and role != me.role:
        request.session.clear()  # this browser's session ended with the others
        flash(request, f"Vous êtes maintenant {ROLE_LABELS[role]}. Reconnectez-vous pour continuer.")
        return back_to(f"{PREFIX}/connexion")
    flash(request, message, kind)
    return back_to(f"{PREFIX}/equipe")


async def team_slots(request: Request, me) -> Response:
    mediator_id = request.path_params["mediator_id"]
    form = await request.form()
    try:
        day = date.fromisoformat(str(form.get("jour", "")))
        first = time.fromisoformat(str(form.get("debut", "")))
        count = int(form.get("nombre", "1"))
        minutes = int(form.get("duree", "45"))
        mode, place = str(form.get("mode", "telephone")), str(form.get("lieu", ""))[:300]
        if not (1 <= count <= 12 and 15 <= minutes <= 180) or mode not in SLOT_MODES:
            raise ValueError
        if mode == "sur_place" and not place.strip():
            flash(request, "Créneaux non ouverts : pour un rendez-vous sur place, indiquez l'adresse.", "erreur")
            return back_to(f"{PREFIX}/equipe")
    except ValueError:
        flash(request, "Créneaux non ouverts : vérifiez le jour, l'heure, le nombre (1 à 12) et la durée.", "erreur")
        return back_to(f"{PREFIX}/equipe")
    start = datetime.combine(day, first, tzinfo=PARIS)
    starts = [(start + timedelta(minutes=minutes * i)).astimezone(timezone.utc) for i in range(count)]

    def run(session):
        mediator = accounts.mediator_by_id(session, mediator_id)
        if mediator is None:
            raise HTTPException(404, "Compte introuvable.")
        added = scheduling.open_slots(session, mediator, starts, minutes, mode=mode, place=place, hours=opening_hours.load())
        left_out = (
            f" {count - added} laissé(s) de côté : déjà ouverts, jour férié ou hors des horaires d'ouverture."
            if added < count
            else ""
        )
        return f"{added} créneau(x) ouvert(s) pour {mediator.name}.{left_out}", "ok"

    flash(request, *await in_db(request, run))
    return back_to(f"{PREFIX}/equipe")


def _name_of(session, mediator_id: int | None) -> str | None:
    mediator = accounts.mediator_by_id(session, mediator_id) if mediator_id else None
    return mediator.name if mediator else None
