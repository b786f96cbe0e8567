"""A mediator's own account in the console: change the password, choose the e-mail alerts, see
the open sessions and close one (« Fermer cette session ») or all (« se déconnecter partout »),
change the private calendar feed's link, and reset a forgotten password through a link sent by
e-mail (bot/mail/links.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.mail import links
from bot.store import accounts, errors
from bot.store.tables import MEDIATOR_ALERTS
from bot.web import login_throttle, user_agents
from bot.web.console import render
from bot.web.handlers import (
    PREFIX,
    back_to,
    flash,
    idle_limit,
    in_db,
    login_required,
    now_of,
    session_token,
    settings_of,
    start_session,
)

ALERT_LABELS = {
    "rendez_vous": "Un rendez-vous est pris",
    "rappel": "Une personne demande à être rappelée",
    "direct": "Quelqu'un attend un médiateur dans le chat et aucun médiateur disponible n'a la console ouverte",
}


async def account_page(request: Request, me) -> Response:
    now, idle, token = now_of(request), idle_limit(request), session_token(request)
    mediator, sessions = await in_db(
        request,
        lambda session: (
            accounts.mediator_by_id(session, me.id),
            accounts.open_sessions(session, me.id, now=now, idle=idle, current=token),
        ),
    )
    chosen = mediator.alerts if mediator.alerts is not None else list(MEDIATOR_ALERTS)
    return render(
        request,
        "console/account.html",
        {
            "email": mediator.email,
            "sessions": sessions,
            "idle_minutes": settings_of(request).console_idle_minutes,
            "alerts": [(a, ALERT_LABELS[a], a in chosen) for a in MEDIATOR_ALERTS],
            "min_length": accounts.MIN_PASSWORD_LENGTH,
        },
    )


async def change_password(request: Request, me) -> Response:
    form = await request.form()
    current, new, again = (str(form.get(k, ""))[:512] for k in ("actuel", "nouveau", "confirmation"))
    if new != again:
        flash(request, "Les deux nouveaux mots de passe ne sont pas identiques.", "erreur")
        return back_to(f"{PREFIX}/compte")
    now, browser = now_of(request), user_agents.describe(request.headers.get("user-agent"))

    def run(session):
        accounts.change_password(session, me.id, current, new)  # ends every session of the account
        return (
            accounts.open_session(session, me.id, now=now, browser=browser),
            "Mot de passe changé. Vos autres sessions sont fermées.",
            "ok",
        )

    try:
        token, *message = await in_db(request, run)
    except errors.AccountRefused as refused:  # raised out of in_db: nothing of it is committed
        token, message = None, [f"Mot de passe non changé : {refused}.", "erreur"]
    if token:
        start_session(request, me, token)  # this browser goes on, in a new session
    flash(request, *message)
    return back_to(f"{PREFIX}/compte")


async def logout_everywhere(request: Request, me) -> Response:
    """« Se déconnecter partout »: every session of the account ends, this one included."""
    await in_db(request, lambda session: accounts.end_all_sessions(session, me.id))
    request.session.clear()
    flash(request, "Vous êtes déconnecté partout, sur cet appareil comme sur les autres.")
    return back_to(f"{PREFIX}/connexion")


async def close_session(request: Request, me) -> Response:
    """« Fermer cette session »: one of one's own sessions ends (another device's, or this one)."""
    session_id = request.path_params["session_id"]
    token = session_token(request)

    def run(session):
        current = [
            s.id
            for s in accounts.open_sessions(session, me.id, now=now_of(request), idle=idle_limit(request), current=token)
            if s.current
        ]
        return accounts.end_own_session(session, me.id, session_id), session_id in current

    closed, was_this_one = await in_db(request, run)
    if was_this_one:
        request.session.clear()
        flash(request, "Cette session est fermée. À bientôt.")
        return back_to(f"{PREFIX}/connexion")
    flash(request, "Session fermée." if closed else "Cette session était déjà fermée.", "ok" if closed else "erreur")
    return back_to(f"{PREFIX}/compte")


async def new_calendar_link(request: Request, me) -> Response:
    """« Changer le lien de mon agenda »: the old private feed URL stops working."""
    await in_db(request, lambda session: accounts.rotate_calendar_token(session, me.id))
    flash(
        request,
        "Nouveau lien d'agenda créé : l'ancien ne fonctionne plus. Copiez le nouveau depuis « Mon agenda » "
        "dans votre application d'agenda.",
    )
    return back_to(f"{PREFIX}/compte")


async def choose_alerts(request: Request, me) -> Response:
    form = await request.form()
    chosen = await in_db(request, lambda session: accounts.set_alerts(session, me.id, form.getlist("alertes")))
    flash(request, "Alertes enregistrées : " + (", ".join(ALERT_LABELS[a].lower() for a in chosen) or "aucune") + ".")
    return back_to(f"{PREFIX}/compte")


async def forgot_page(request: Request) -> Response:
    return render(request, "console/forgot.html", {"sent": False, "error": None})


async def forgot(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    wait = await login_throttle.seconds_to_wait(request, "reset", login_throttle.RESET_REQUESTS)
    if wait:
        return render(
            request,
            "console/forgot.html",
            {"sent": False, "error": login_throttle.too_many(wait)},
            status_code=429,
            headers=login_throttle.retry_after(wait),
        )
    await in_db(request, lambda session: accounts.request_reset(session, email, now=now_of(request)))
    # the same answer whether the account exists, or a link already left lately, or not
    return render(request, "console/forgot.html", {"sent": True})


def claims(request: Request):
    return links.reset_claims(settings_of(request).session_secret, request.path_params["token"], now=now_of(request))


async def reset_page(request: Request) -> Response:
    found = claims(request)
    if found is None or not await in_db(request, lambda session: accounts.reset_link_usable(session, *found)):
        return render(request, "console/reset.html", {"invalid": True}, status_code=404)
    return render(request, "console/reset.html", {"invalid": False, "error": None, "min_length": accounts.MIN_PASSWORD_LENGTH})


async def reset(request: Request) -> Response:
    found = claims(request)
    if found is None:
        return render(request, "console/reset.html", {"invalid": True}, status_code=404)
    form = await request.form()
    new, again = str(form.get("nouveau", ""))[:512], str(form.get("confirmation", ""))[:512]
    if new != again:
        return render(
            request,
            "console/reset.html",
            {
                "invalid": False,
                "min_length": accounts.MIN_PASSWORD_LENGTH,
                "error": "Les deux mots de passe ne sont pas identiques.",
            },
            status_code=400,
        )

    try:  # a refusal is raised out of in_db: nothing of it is committed
        await in_db(request, lambda session: accounts.reset_password(session, found[0], found[1], new))
        refused = None
    except accounts.LoginRefused as error:
        refused = str(error), 404
    except errors.AccountRefused as error:
        refused = f"Mot de passe non changé : {error}.", 400
    if refused is not None:
        return render(
            request,
            "console/reset.html",
            {"invalid": refused[1] == 404, "error": refused[0], "min_length": accounts.MIN_PASSWORD_LENGTH},
            status_code=refused[1],
        )
    flash(request, "Mot de passe changé. Vous pouvez vous connecter.")
    return back_to(f"{PREFIX}/connexion")


routes = [
    Route(PREFIX + "/compte", login_required(account_page)),
    Route(PREFIX + "/compte/mot-de-passe", login_required(change_password), methods=["POST"]),
    Route(PREFIX + "/compte/alertes", login_required(choose_alerts), methods=["POST"]),
    Route(PREFIX + "/compte/deconnexion-partout", login_required(logout_everywhere), methods=["POST"]),
    Route(PREFIX + "/compte/sessions/{session_id:int}/fermer", login_required(close_session), methods=["POST"]),
    Route(PREFIX + "/compte/lien-agenda", login_required(new_calendar_link), methods=["POST"]),
    Route(PREFIX + "/mot-de-passe-oublie", forgot_page, methods=["GET"]),
    Route(PREFIX + "/mot-de-passe-oublie", forgot, methods=["POST"]),
    Route(PREFIX + "/mot-de-passe/{token}", reset_page, methods=["GET"]),
    Route(PREFIX + "/mot-de-passe/{token}", reset, methods=["POST"]),
]
