"""Small pieces shared by the web app's route modules (console, live handover, account).

Handlers are module-level functions; what belongs to the running process (its settings, the live
relay) is on `request.app.state`, set by bot/web/app.py::create_app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import settings as bot_settings
from bot.store import accounts, db
from bot.store.tables import Mediator

T = TypeVar("T")
PREFIX = "/mediateurs"  # the mediator console
SESSION_ENDED = "Votre session a pris fin : ce compte a été désactivé ou ses droits ont changé. Reconnectez-vous."


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


def _current_role(session, mediator_id: int) -> str | None:
    """The account's role now, or None when it is deactivated or gone."""
    mediator = session.get(Mediator, mediator_id)
    return mediator.role if mediator is not None and mediator.active else None


def login_required(handler: Callable[[Request, accounts.Identity], Awaitable[Response]], admin: bool = False):
    """A console handler `handler(request, me)` as a route endpoint: logged in (and admin) only."""

    async def wrapped(request: Request) -> Response:
        me = identity_of(request)
        if me is None:
            return back_to(f"{PREFIX}/connexion")
        # checked on every request, not only at login: a deactivated account or a changed
        # role ends the session at once rather than when the cookie expires
        if await in_db(request, lambda session: _current_role(session, me.id)) != me.role:
            request.session.clear()
            flash(request, SESSION_ENDED, "erreur")
            return back_to(f"{PREFIX}/connexion")
        if admin and not me.is_admin:
            raise HTTPException(403, "Réservé aux administrateurs.")
        return await handler(request, me)

    wrapped.__name__ = wrapped.__qualname__ = handler.__name__
    return wrapped
