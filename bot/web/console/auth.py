"""Logging in and out of the console, and its home (/mediateurs) that sends to the queue or the
login page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.store import accounts
from bot.web import login_throttle, user_agents
from bot.web.console.common import render
from bot.web.handlers import (
    PREFIX,
    back_to,
    identity_of,
    idle_limit,
    in_db,
    now_of,
    session_token,
    start_session,
)


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


async def home(request: Request) -> Response:
    return back_to(f"{PREFIX}/file" if identity_of(request) else f"{PREFIX}/connexion")
