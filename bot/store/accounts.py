"""Console accounts: mediators and admins log in with a password hashed by argon2.

Guessing: after MAX_FAILED_LOGINS wrong passwords in a row for one account from one client
address, that address is refused for that account for LOCK_MINUTES (table login_failures), so an
attacker cannot keep a mediator locked out from another address; ACCOUNT_MAX_FAILED_LOGINS wrong
passwords in a row from all addresses together lock the account itself (against guessing spread
over many addresses). Counters are raised by one atomic UPDATE each, so parallel guesses all
count. Every refusal says the same thing whether the e-mail exists or not.

Sessions: each login opens a row of console_sessions; the cookie carries its random token. The
row goes at logout, « se déconnecter partout », « Fermer cette session », a password change or
reset, deactivation, a role change, and after CONSOLE_IDLE_MINUTES without activity (the
console's automatic polls do not count); the session then ends at its next request
(bot/web/handlers.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import errors
from bot.store.errors import AccountRefused
from bot.store.tables import ConsoleSession, LoginFailure, Mediator

ROLES = ("mediateur", "admin")
MAX_FAILED_LOGINS = 5  # in a row, for one account from one address
ACCOUNT_MAX_FAILED_LOGINS = 100  # in a row, for one account from all addresses together
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
SESSION_HOURS = 8  # a working day; the cookie's max_age is the same (bot/web/app.py)
RESET_MAIL_MINUTES = 15  # at most one « mot de passe oublié » e-mail per account in this time

_hasher = PasswordHasher()


# the one answer to every refused login (see authenticate)
REFUSED = (
    f"E-mail ou mot de passe incorrect. Après {MAX_FAILED_LOGINS} essais manqués, un compte reste bloqué "
    f"{LOCK_MINUTES} minutes."
)


class LoginRefused(errors.Refused):
    """Wrong e-mail or password, or the account is locked or disabled (the message is the same)."""


@dataclass(frozen=True)
class Identity:
    """Who is logged in, as kept in the session cookie."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")


def set_password(mediator: Mediator, password: str) -> None:
    check_password_rules(password)
    mediator.password_hash = _hasher.hash(password)
    mediator.failed_logins = 0
    mediator.locked_until = None


def create_account(session: Session, name: str, email: str, password: str, role: str = "mediateur", *, now: datetime) -> Mediator:
    if role not in ROLES:
        raise AccountRefused(f"role must be one of {ROLES}")
    check_password_rules(password)
    mediator = mediator_by_email(session, email)
    if mediator is None:
        mediator = add_mediator(session, name, email, now=now)
    elif mediator.password_hash:
        raise AccountRefused(f"an account with e-mail {email} already exists")
    set_password(mediator, password)
    mediator.role = role
    mediator.active = True
    session.flush()
    return mediator


def authenticate(session: Session, email: str, password: str, *, now: datetime, client: str = "") -> Identity:
    """The identity for a right e-mail and password; counts failures and locks.

    `client`: a pseudonym of the client's address (bot/rate_limits.py::client_key), "" for this
    machine. Does not commit: the caller commits, also after a refusal, so that the failures
    count. Every refusal says the same thing and takes the same time (one argon2 hash), whether
    the address has an account, the password is wrong or a lock applies: the answer never tells
    whether an e-mail address has an account.
    """
    mediator = mediator_by_email(session, email or "")
    if mediator is None or not mediator.password_hash or not mediator.active:
        _hasher.hash(password or "")  # same time spent whether the account exists or not
        raise LoginRefused(REFUSED)
    if (mediator.locked_until and mediator.locked_until > now) or _client_locked(session, mediator.id, client, now):
        _hasher.hash(password or "")
        raise LoginRefused(REFUSED)
    try:
        _hasher.verify(mediator.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        record_failure(session, mediator.id, client, now=now)
        raise LoginRefused(REFUSED) from None  # the counts stay: the caller commits them all the same
    if _hasher.check_needs_rehash(mediator.password_hash):
        mediator.password_hash = _hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.mediator_id == mediator.id, LoginFailure.client == client))
    session.execute(update(Mediator).where(Mediator.id == mediator.id).values(failed_logins=0, locked_until=None))
    return Identity(mediator.id, mediator.name, mediator.role)


def _client_locked(session: Session, mediator_id: int, client: str, now: datetime) -> bool:
    locked_until = session.execute(
        select(LoginFailure.locked_until).where(LoginFailure.mediator_id == mediator_id, LoginFailure.client == client)
    ).scalar_one_or_none()
    return locked_until is not None and locked_until > now


def record_failure(session: Session, mediator_id: int, client: str, *, now: datetime) -> tuple[int, int]:
    """Count one wrong password for the account, from this client and in all: each counter is
    raised by one atomic statement (`x = x + 1`), then read back in the same transaction, which
    holds the row's write lock until the caller commits: parallel guesses all count, on SQLite as
    on PostgreSQL. Locks the client (or the whole account) when its count reaches its maximum.
    Returns the two counts as raised (before a lock resets them)."""
    table = LoginFailure.__table__
    insert = _insert_for(session)(table).values(mediator_id=mediator_id, client=client, failures=1, updated_at=now)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.mediator_id, table.c.client],
            set_={"failures": table.c.failures + 1, "updated_at": now},
        )
    )
    key = (LoginFailure.mediator_id == mediator_id, LoginFailure.client == client)
    from_client = session.execute(select(LoginFailure.failures).where(*key)).scalar_one()
    if from_client >= MAX_FAILED_LOGINS:
        session.execute(update(LoginFailure).where(*key).values(failures=0, locked_until=now + timedelta(minutes=LOCK_MINUTES)))
    account = Mediator.__table__
    session.execute(update(account).where(account.c.id == mediator_id).values(failed_logins=account.c.failed_logins + 1))
    in_all = session.execute(select(account.c.failed_logins).where(account.c.id == mediator_id)).scalar_one()
    if in_all >= ACCOUNT_MAX_FAILED_LOGINS:
        session.execute(
            update(account)
            .where(account.c.id == mediator_id)
            .values(failed_logins=0, locked_until=now + timedelta(minutes=LOCK_MINUTES))
        )
    # forget the clients of this account that have been quiet for a day (no lock left to keep)
    session.execute(
        delete(LoginFailure).where(LoginFailure.mediator_id == mediator_id, LoginFailure.updated_at < now - timedelta(days=1))
    )
    return from_client, in_all


def _insert_for(session: Session) -> Any:
    """INSERT … ON CONFLICT of the session's database (both dialects have it)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# --- sessions ------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, mediator_id: int, *, now: datetime, browser: str = "", idle: timedelta | None = None) -> str:
    """A new console session for this account: the token its cookie carries (only its hash is
    stored). `browser`: a short description of it (« Firefox sous Windows »), no address. Also
    forgets the sessions of every account that have expired (or been idle longer than `idle`)."""
    ended = ConsoleSession.created_at <= now - timedelta(hours=SESSION_HOURS)
    if idle is not None:
        ended = ended | (ConsoleSession.last_used_at <= now - idle)
    session.execute(delete(ConsoleSession).where(ended))
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            mediator_id=mediator_id, token_hash=_token_hash(token), created_at=now, last_used_at=now, browser=browser[:80]
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session token is worth: who it belongs to, as the account is now (None
    once the session ended), and whether it has just ended for being idle too long."""

    identity: Identity | None
    idle: bool = False


def use_session(session: Session, token: str | None, *, now: datetime, idle: timedelta, activity: bool) -> SessionCheck:
    """Check a session at a request. It has ended when logged out, older than SESSION_HOURS, ended
    by a password change…, its account deactivated, or not used for `idle` (ASVS 3.3.2): then its
    row goes and `idle` says so. `activity`: the person made this request (a page, a form, a
    message); the console's automatic polls pass False and do not keep the session alive."""
    if not token or not isinstance(token, str):
        return SessionCheck(None)
    row = session.execute(
        select(ConsoleSession.id, ConsoleSession.last_used_at, Mediator.id, Mediator.name, Mediator.role)
        .join(Mediator, ConsoleSession.mediator_id == Mediator.id)
        .where(
            ConsoleSession.token_hash == _token_hash(token),
            ConsoleSession.created_at > now - timedelta(hours=SESSION_HOURS),
            Mediator.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return SessionCheck(None)
    session_id, last_used_at, *identity = row
    if last_used_at <= now - idle:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))
        return SessionCheck(None, idle=True)
    if activity:
        session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id).values(last_used_at=now))
    return SessionCheck(Identity(*identity))


def session_used(session: Session, token: str | None, *, now: datetime) -> None:
    """The person used the console (a poll reporting a key, click or scroll on the page): the
    session counts as active now."""
    if token and isinstance(token, str):
        session.execute(update(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)).values(last_used_at=now))


def end_session(session: Session, token: str | None) -> None:
    if token and isinstance(token, str):
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


def end_own_session(session: Session, mediator_id: int, session_id: int) -> bool:
    """« Fermer cette session »: one session of the account (never another account's) ends."""
    done = session.execute(
        delete(ConsoleSession).where(ConsoleSession.id == session_id, ConsoleSession.mediator_id == mediator_id)
    )
    return done.rowcount > 0


def end_all_sessions(session: Session, mediator_id: int) -> int:
    """« Se déconnecter partout »: every session of the account ends at its next request."""
    return session.execute(delete(ConsoleSession).where(ConsoleSession.mediator_id == mediator_id)).rowcount


@dataclass(frozen=True)
class OpenSession:
    """One open session of an account, as « Mon compte » lists it."""

    id: int
    created_at: datetime
    last_used_at: datetime
    browser: str
    current: bool  # the session of the browser asking


def open_sessions(
    session: Session, mediator_id: int, *, now: datetime, idle: timedelta, current: str | None = None
) -> list[OpenSession]:
    """The account's sessions still open (not expired, not idle longer than `idle`), the newest
    first; `current` is the asking browser's token."""
    rows = session.execute(
        select(
            ConsoleSession.id,
            ConsoleSession.created_at,
            ConsoleSession.last_used_at,
            ConsoleSession.browser,
            ConsoleSession.token_hash,
        )
        .where(
            ConsoleSession.mediator_id == mediator_id,
            ConsoleSession.created_at > now - timedelta(hours=SESSION_HOURS),
            ConsoleSession.last_used_at > now - idle,
        )
        .order_by(ConsoleSession.created_at.desc(), ConsoleSession.id.desc())
    ).all()
    mine = _token_hash(current) if current else None
    return [OpenSession(r.id, r.created_at, r.last_used_at, r.browser, r.token_hash == mine) for r in rows]


def set_active(session: Session, mediator_id: int, active: bool) -> Mediator:
    """(De)activate an account; deactivating ends its sessions."""
    mediator = session.get(Mediator, mediator_id)
    mediator.active = active
    if not active:
        end_all_sessions(session, mediator_id)
    return mediator


class LastAdmin(errors.Refused, ValueError):
    """The change would leave the service without an active admin."""


def set_role(session: Session, mediator_id: int, role: str) -> Mediator:
    """Change an account's role; its sessions end (the next login has the new rights). Refused
    (LastAdmin) when it would leave no active admin: the active admins' rows are locked first
    (PostgreSQL: FOR UPDATE; SQLite has one writer), so two admins demoting each other at once
    cannot both succeed."""
    if role not in ROLES:
        raise AccountRefused(f"role must be one of {ROLES}")
    mediator = session.get(Mediator, mediator_id)
    if mediator.role != role:
        if mediator.role == "admin" and mediator.active:
            admins = session.execute(
                select(Mediator.id).where(Mediator.role == "admin", Mediator.active.is_(True)).with_for_update()
            ).scalars()
            if set(admins) <= {mediator_id}:
                raise LastAdmin(f"{mediator.name} est le dernier administrateur actif ; nommez d'abord un autre administrateur")
        mediator.role = role
        end_all_sessions(session, mediator_id)
    return mediator


def password_fingerprint(password_hash: str | None) -> str:
    """Part of a reset link: it no longer matches once the password changed, so a link serves once."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:20]


def calendar_token(session: Session, mediator: Mediator) -> str:
    """The secret part of a mediator's private calendar feed URL (created on first use)."""
    if not mediator.calendar_token:
        mediator.calendar_token = secrets.token_urlsafe(32)
        session.flush()
    return mediator.calendar_token


def rotate_calendar_token(session: Session, mediator_id: int) -> str:
    """« Changer le lien de mon agenda »: a new secret; the old feed URL answers 404 from now on."""
    mediator = session.get(Mediator, mediator_id)
    mediator.calendar_token = secrets.token_urlsafe(32)
    session.flush()
    return mediator.calendar_token


# --- one's own account: password, alerts, forgotten password ----------------------------------


def change_password(session: Session, mediator_id: int, current: str, new: str) -> None:
    """ValueError (in French) if the current password is wrong or the new one too short. Every
    session of the account ends (the caller opens a new one for the browser that asked)."""
    mediator = session.get(Mediator, mediator_id)
    try:
        _hasher.verify(mediator.password_hash or "", current or "")
    except (VerificationError, InvalidHashError):
        raise AccountRefused("le mot de passe actuel n'est pas le bon") from None
    set_password(mediator, new)
    end_all_sessions(session, mediator_id)


def set_alerts(session: Session, mediator_id: int, alerts: list[str]) -> list[str]:
    from bot.store.tables import MEDIATOR_ALERTS

    chosen = [a for a in MEDIATOR_ALERTS if a in alerts]
    session.get(Mediator, mediator_id).alerts = chosen
    return chosen


def request_reset(session: Session, email: str, *, now: datetime) -> bool:
    """Queue a reset link for an active account with this e-mail, at most one per
    RESET_MAIL_MINUTES (one conditional UPDATE: of two requests at once, one queues a mail). The
    caller says the same thing whether it exists, or a link was sent lately, or not. True if one
    was queued."""
    from bot.store import notifications

    mediator = mediator_by_email(session, email or "")
    if mediator is None or not mediator.active or not mediator.password_hash:
        return False
    quiet_since = now - timedelta(minutes=RESET_MAIL_MINUTES)
    taken = session.execute(
        update(Mediator)
        .where(
            Mediator.id == mediator.id,
            (Mediator.reset_requested_at.is_(None)) | (Mediator.reset_requested_at <= quiet_since),
        )
        .values(reset_requested_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return False
    notifications.password_reset(session, mediator, nonce=secrets.token_hex(8), now=now)
    return True


def reset_link_usable(session: Session, mediator_id: int, fingerprint: str) -> bool:
    """An active account whose password has not changed since the link was made."""
    mediator = session.get(Mediator, mediator_id)
    return mediator is not None and mediator.active and password_fingerprint(mediator.password_hash) == fingerprint


def reset_password(session: Session, mediator_id: int, fingerprint: str, new: str) -> Mediator:
    """Set a new password from a reset link: refused once the password changed (the link is used)."""
    if not reset_link_usable(session, mediator_id, fingerprint):
        raise LoginRefused("Ce lien n'est plus valable : demandez-en un nouveau.")
    mediator = session.get(Mediator, mediator_id)
    set_password(mediator, new)
    end_all_sessions(session, mediator_id)  # whoever had the old password is logged out
    rotate_calendar_token(session, mediator_id)  # and no longer reads the agenda
    return mediator


# --- mediators ------------------------------------------------------------------------


def add_mediator(session: Session, name: str, email: str, *, now: datetime) -> Mediator:
    name, email = name.strip(), email.strip().lower()
    if not name or "@" not in email:
        raise AccountRefused("a mediator needs a name and a valid e-mail")
    if mediator_by_email(session, email) is not None:
        raise AccountRefused(f"a mediator with e-mail {email} already exists")
    try:
        with session.begin_nested():  # the unique e-mail settles a race
            mediator = Mediator(name=name, email=email, created_at=now)
            session.add(mediator)
    except IntegrityError as exc:
        raise AccountRefused(f"a mediator with e-mail {email} already exists") from exc
    return mediator


def mediator_by_email(session: Session, email: str) -> Mediator | None:
    return session.execute(select(Mediator).where(Mediator.email == email.strip().lower())).scalar_one_or_none()


def count_mediators(session: Session) -> int:
    return session.execute(select(func.count(Mediator.id))).scalar_one()


def mediator_by_id(session: Session, mediator_id: int | None) -> Mediator | None:
    return session.get(Mediator, mediator_id) if mediator_id is not None else None


def mediator_by_calendar_token(session: Session, token: str) -> Mediator | None:
    """The active mediator whose private calendar feed has this token."""
    return session.execute(
        select(Mediator).where(Mediator.calendar_token == token, Mediator.active == True)  # noqa: E712
    ).scalar_one_or_none()


def mediators(session: Session, *, by_name: bool = False) -> list[Mediator]:
    """Every account, active or not, by name (the team page) or in the order they were created."""
    return list(session.execute(select(Mediator).order_by(Mediator.name if by_name else Mediator.id)).scalars())
