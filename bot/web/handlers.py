"""Small pieces shared by the web app's route modules (console, live handover, account).

Handlers are module-level functions; what belongs to the running process (its settings, the live
relay) is on `request.app.state`, set by bot/web/app.py::create_app.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot import settings as bot_settings
from bot.store import accounts, db

T = TypeVar("T")
PREFIX = "/mediateurs"  # the mediator console
SESSION_ENDED = (
    "Votre session a pris fin (déconnexion, mot de passe changé, compte désactivé ou droits modifiés). "
    "Merci de vous reconnecter."
)


def db_runner(database_url: str) -> Callable[[Callable[[Session], T]], Awaitable[T]]:
    """`in_db(work)`: run `work(session)` in a worker thread with its own session, then commit:
    the caller (a route, a job round) is the transaction boundary. When `work` raises, nothing
    is committed."""

    def in_db(work: Callable[[Session], T]) -> Awaitable[T]:
        def job() -> T:
            with db.session(database_url) as session:
                result = work(session)
                session.commit()
                return result

        return run_in_threadpool(job)

    return in_db


def settings_of(request: Request) -> bot_settings.Settings:
    return request.app.state.settings


def now_of(request: Request) -> datetime:
    """The current moment by this app's clock (`create_app(now=…)`; bot/clock.py by default)."""
    return request.app.state.now()


def relay_of(request: Request) -> Any:
    """This process's bot.web.live.LiveRelay (not imported here: bot.web.live imports this module)."""
    return request.app.state.relay


def in_db(request: Request, work: Callable[[Session], T]) -> Awaitable[T]:
    """Run `work(session)` on this app's database in a worker thread, and commit after it."""
    return db_runner(settings_of(request).database_url)(work)


def back_to(url: str) -> RedirectResponse:
    """After a form: go (back) to `url` with a GET."""
    return RedirectResponse(url, status_code=303)


def identity_of(request: Request) -> accounts.Identity | None:
    data = request.session.get("identity")
    return accounts.Identity(**data) if data else None


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"message": message, "kind": kind}


def session_token(request: Request) -> str | None:
    """The token of this browser's console session (a row of console_sessions, bot/store/accounts.py)."""
    token = request.session.get("session")
    return token if isinstance(token, str) else None


def start_session(request: Request, identity: accounts.Identity, token: str) -> None:
    """This browser is logged in as `identity`, in the session `token` (accounts.open_session)."""
    request.session.clear()  # a fresh cookie at each login
    request.session["identity"] = {"id": identity.id, "name": identity.name, "role": identity.role}
    request.session["session"] = token


def idle_ended(minutes: int) -> str:
    """What the login page says after a session ended for lack of activity."""
    return f"Votre session a expiré après {minutes} minutes sans activité. Merci de vous reconnecter."


def idle_limit(request: Request) -> timedelta:
    return timedelta(minutes=settings_of(request).console_idle_minutes)


def is_automatic(request: Request) -> bool:
    """A request the console's page makes by itself (the queue's reload every minute carries
    `auto=1`): it does not count as the person's activity."""
    return request.query_params.get("auto") == "1"


def login_required(handler: Callable[[Request, accounts.Identity], Awaitable[Response]], admin: bool = False, poll: bool = False):
    """A console handler `handler(request, me)` as a route endpoint: logged in (and admin) only.

    `poll`: a route console.js calls by itself every few seconds; it does not keep the session
    alive (CONSOLE_IDLE_MINUTES), and a session that ended gets a 401 in JSON (console.js then
    reloads the page, which shows the login with the reason)."""

    async def wrapped(request: Request) -> Response:
        me = identity_of(request)
        if me is None:
            return back_to(f"{PREFIX}/connexion")
        # checked on every request, not only at login: a session ended on the server (logout,
        # « se déconnecter partout », a password change or reset, deactivation, a changed role,
        # idle too long) is refused at once, even from a copy of the cookie, rather than when the
        # cookie expires
        token, now, idle = session_token(request), now_of(request), idle_limit(request)
        activity = not poll and not is_automatic(request)
        check = await in_db(request, lambda session: accounts.use_session(session, token, now=now, idle=idle, activity=activity))
        current = check.identity
        if current is None or current.id != me.id or current.role != me.role:
            request.session.clear()
            message = idle_ended(settings_of(request).console_idle_minutes) if check.idle else SESSION_ENDED
            flash(request, message, "erreur")
            if poll:
                return JSONResponse({"error": message}, status_code=401)
            return back_to(f"{PREFIX}/connexion")
        if admin and not me.is_admin:
            raise HTTPException(403, "Réservé aux administrateurs.")
        return await handler(request, me)

    wrapped.__name__ = wrapped.__qualname__ = handler.__name__
    return wrapped
