"""The mediator console under /mediateurs: log in, the queue, a dossier, claim it, notes, close it,
the agenda with calendar files, the team (admins).

Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure when SECURE_COOKIES=1); every POST
carries a CSRF token (asgi-csrf, wired in bot/web/app.py); templates escape everything.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any, Callable
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import clock
from bot.domain import catalog, opening_hours
from bot.mail import notices
from bot.settings import PARIS
from bot.store import accounts, casework, conversations, dossiers, errors, notifications, outbox, retention, scheduling
from bot.store.statuses import DossierStatus
from bot.store.tables import SLOT_MODES, Appointment, Mediator
from bot.web import login_throttle, user_agents
from bot.web.handlers import (
    PREFIX,
    SESSION_ENDED,
    back_to,
    flash,
    identity_of,
    idle_limit,
    in_db,
    login_required,
    now_of,
    session_token,
    settings_of,
    start_session,
)
from bot.web.templating import local, templates

__all__ = ["PREFIX", "SESSION_ENDED", "local", "render", "routes"]

FAILED_MAILS_DAYS = 30  # the team page lists the e-mails given up this recently
ROLE_LABELS = {"mediateur": "médiateur", "admin": "administrateur"}
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


# --- log in / out --------------------------------------------------------------------
async def login_page(request: Request) -> Response:
    if identity_of(request):
        return back_to(f"{PREFIX}/file")
    return render(request, "console/login.html", {"error": None, "email": ""})


async def login(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", ""))[:254], str(form.get("password", ""))[:512]
    wait = await login_throttle.seconds_to_wait(request, "login", login_throttle.LOGIN_ATTEMPTS)
    if wait:
        return render(
            request,
            "console/login.html",
            {"error": login_throttle.too_many(wait), "email": email},
            status_code=429,
            headers=login_throttle.retry_after(wait),
        )
    client = login_throttle.client_of(request)[1]
    now, idle, browser = now_of(request), idle_limit(request), user_agents.describe(request.headers.get("user-agent"))

    def check(session):
        try:
            identity = accounts.authenticate(session, email, password, now=now, client=client)
        except accounts.LoginRefused as refused:
            return None, None, str(refused)  # committed all the same: the failure counts
        return identity, accounts.open_session(session, identity.id, now=now, browser=browser, idle=idle), None

    identity, token, error = await in_db(request, check)
    if identity is None:
        return render(request, "console/login.html", {"error": error, "email": email}, status_code=401)
    start_session(request, identity, token)
    return back_to(f"{PREFIX}/file")


async def logout(request: Request) -> Response:
    """Ends this session on the server too: a copy of the cookie no longer works."""
    token = session_token(request)
    await in_db(request, lambda session: accounts.end_session(session, token))
    request.session.clear()
    return back_to(f"{PREFIX}/connexion")


# --- queue ---------------------------------------------------------------------------
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
        entries = casework.queue(session, now=clock.now(), status=status, need=need, mediator_id=mediator_id)
        undelivered = outbox.dossiers_with_failures(session, [e.dossier.id for e in entries], notices.PERSON_KINDS)
        return entries, casework.counts_by_status(session), _mediators(session), undelivered

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


# --- a dossier -----------------------------------------------------------------------
async def dossier_page(request: Request, me) -> Response:
    dossier_id = request.path_params["dossier_id"]

    def load(session):
        now = clock.now()
        dossier = casework.dossier_for_console(session, dossier_id, now=now)
        if dossier is None:
            return None
        return {
            "dossier": dossier,
            "data": dossiers.dossier_as_dict(dossier),
            "transcript": conversations.transcript(session, dossier.conversation_id),
            "reason": casework.waiting_reason(dossier),
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


def dossier_action(work: Callable[[Any, Any, Any, dict, datetime, int], str], admin: bool = False):
    """A POST on a dossier: run `work(session, dossier, me, form, now, lease)`, say what happened
    (`lease`: CLAIM_LEASE_MINUTES)."""

    async def handler(request: Request, me) -> Response:
        dossier_id = request.path_params["dossier_id"]
        form = dict(await request.form())
        lease = settings_of(request).claim_lease_minutes

        def run(session):
            now = clock.now()
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
        now = clock.now()
        if casework.dossier_for_console(session, dossier_id, now=now) is None:
            raise HTTPException(404, "Dossier introuvable.")
        return retention.erase_dossier(session, dossier_id, me.id, now=now) or []

    forgotten = await in_db(request, run)
    await run_in_threadpool(transport.remove_copies, settings_of(request).outbox_dir, forgotten)
    flash(request, "Les données personnelles de ce dossier ont été effacées.", "ok")
    return back_to(f"{PREFIX}/dossiers/{dossier_id}")


# --- agenda and calendar files -------------------------------------------------------
async def agenda_page(request: Request, me) -> Response:
    def load(session):
        mediator = accounts.mediator_by_id(session, me.id)
        now = clock.now()
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
        casework.audit(session, appointment.dossier, me.id, "rdv_annule", reference, at=clock.now())
        notifications.appointment_cancelled(session, appointment, appointment.dossier)
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
        casework.audit(
            session, moved.dossier, me.id, "rdv_deplace", f"{reference} → {local(moved.slot.starts_at)}", at=clock.now()
        )
        notifications.appointment_confirmation(session, moved, moved.dossier)
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
        return calendar_ics.appointment_ics(appointment)

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
        appointments = casework.upcoming_appointments(session, mediator.id, clock.now() - timedelta(days=60))
        return calendar_ics.mediator_feed(mediator, appointments)

    return Response(await in_db(request, run), media_type="text/calendar; charset=utf-8")


# --- team (admins) -------------------------------------------------------------------
async def team_page(request: Request, me) -> Response:
    def load(session):
        since = clock.now() - timedelta(days=FAILED_MAILS_DAYS)
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
        return _mediators(session), failed

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


async def export_csv(request: Request, me) -> Response:
    from bot.store import reporting

    personal = request.query_params.get("personnel") == "1"
    if personal and not me.is_admin:
        raise HTTPException(403, "Les données personnelles sont réservées aux administrateurs.")
    body = await in_db(request, lambda session: reporting.dossiers_csv(session, include_personal=personal))
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'}
    )


async def activity_page(request: Request, me) -> Response:
    from bot.store import activity

    today = clock.now().astimezone(PARIS).date()
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
    charts = [
        ("Conversations par semaine", activity.bar_widths(figures.per_week)),
        ("Besoins confirmés", activity.bar_widths(figures.needs)),
        ("Issue des conversations", activity.bar_widths(figures.outcomes)),
        ("Notes de satisfaction", activity.bar_widths(figures.satisfaction)),
    ]
    return render(request, "console/activity.html", {"figures": figures, "charts": charts})


async def home(request: Request) -> Response:
    return back_to(f"{PREFIX}/file" if identity_of(request) else f"{PREFIX}/connexion")


dossier_path = PREFIX + "/dossiers/{dossier_id:int}"
routes = [
    Route(PREFIX, home),
    Route(PREFIX + "/connexion", login_page, methods=["GET"]),
    Route(PREFIX + "/connexion", login, methods=["POST"]),
    Route(PREFIX + "/deconnexion", logout, methods=["POST"]),
    Route(PREFIX + "/file", login_required(queue_page)),
    Route(dossier_path, login_required(dossier_page)),
    Route(dossier_path + "/prendre", dossier_action(claim), methods=["POST"]),
    Route(dossier_path + "/liberer", dossier_action(release), methods=["POST"]),
    Route(dossier_path + "/note", dossier_action(note), methods=["POST"]),
    Route(dossier_path + "/statut", dossier_action(status), methods=["POST"]),
    Route(dossier_path + "/clore", dossier_action(close), methods=["POST"]),
    Route(dossier_path + "/effacer", login_required(erase, admin=True), methods=["POST"]),
    Route(PREFIX + "/agenda", login_required(agenda_page)),
    Route(PREFIX + "/rendez-vous/{reference}/annuler", login_required(cancel_appointment), methods=["POST"]),
    Route(PREFIX + "/rendez-vous/{reference}/deplacer", login_required(move_appointment), methods=["POST"]),
    Route(PREFIX + "/rendez-vous/{reference}.ics", login_required(appointment_ics)),
    Route("/calendrier/{token}.ics", calendar_feed),
    Route(PREFIX + "/equipe", login_required(team_page, admin=True)),
    Route(PREFIX + "/equipe", login_required(team_add, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/activation", login_required(team_toggle, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/creneaux", login_required(team_slots, admin=True), methods=["POST"]),
    Route(PREFIX + "/equipe/{mediator_id:int}/role", login_required(team_role, admin=True), methods=["POST"]),
    Route(PREFIX + "/export.csv", login_required(export_csv)),
    Route(PREFIX + "/activite", login_required(activity_page)),
]


def _own_appointment(session, reference: str, me: accounts.Identity) -> Appointment:
    """The appointment with this reference, if it is in the mediator's agenda (or they are admin)."""
    appointment = scheduling.appointment_by_reference(session, reference)
    if appointment is None:
        raise HTTPException(404, "Rendez-vous introuvable.")
    if appointment.slot.mediator_id != me.id and not me.is_admin:
        raise HTTPException(403, "Ce rendez-vous n'est pas le vôtre.")
    return appointment


def _name_of(session, mediator_id: int | None) -> str | None:
    mediator = accounts.mediator_by_id(session, mediator_id) if mediator_id else None
    return mediator.name if mediator else None


def _mediators(session) -> list[Mediator]:
    return accounts.mediators(session, by_name=True)
