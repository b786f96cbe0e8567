"""Small pieces shared by the web app's route modules (console, live handover)."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from bot.store import db

T = TypeVar("T")


def db_runner(database_url: str) -> Callable[[Callable[[Session], T]], Awaitable[T]]:
    """`in_db(work)`: run `work(session)` in a worker thread with its own session, and commit
    what it wrote once it returns (the store's functions never commit: issue 18)."""

    def in_db(work: Callable[[Session], T]) -> Awaitable[T]:
        def job() -> T:
            with db.session(database_url) as session:
                result = work(session)
                session.commit()
                return result

        return run_in_threadpool(job)

    return in_db


def back_to(url: str) -> RedirectResponse:
    """After a form: go (back) to `url` with a GET."""
    return RedirectResponse(url, status_code=303)
