"""Console accounts: mediators and admins log in with a password hashed by argon2.

After MAX_FAILED_LOGINS wrong passwords in a row an account is locked for LOCK_MINUTES, so a
password cannot be guessed by trying; the lock-out answer is the same whether the e-mail exists
or not.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from bot.store import queries
from bot.store.tables import Mediator

ROLES = ("mediateur", "admin")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


# the one answer to every refused login (see authenticate)
REFUSED = (f"E-mail ou mot de passe incorrect. Après {MAX_FAILED_LOGINS} essais manqués, un compte reste bloqué "
           f"{LOCK_MINUTES} minutes.")


class LoginRefused(Exception):
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
        raise ValueError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")


def set_password(mediator: Mediator, password: str) -> None:
    check_password_rules(password)
    mediator.password_hash = _hasher.hash(password)
    mediator.failed_logins = 0
    mediator.locked_until = None


def create_account(session: Session, name: str, email: str, password: str, role: str = "mediateur") -> Mediator:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    check_password_rules(password)
    mediator = queries.mediator_by_email(session, email)
    if mediator is None:
        mediator = queries.add_mediator(session, name, email)
    elif mediator.password_hash:
        raise ValueError(f"an account with e-mail {email} already exists")
    set_password(mediator, password)
    mediator.role = role
    mediator.active = True
    session.flush()
    return mediator


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> Identity:
    """The identity for a right e-mail and password; counts failures and locks the account.

    Every refusal says the same thing and takes the same time (one argon2 hash), whether the
    address has an account, the password is wrong or the account is locked: the answer never
    tells whether an e-mail address has an account.
    """
    mediator = queries.mediator_by_email(session, email or "")
    if mediator is None or not mediator.password_hash or not mediator.active:
        _hasher.hash(password or "")  # same time spent whether the account exists or not
        raise LoginRefused(REFUSED)
    if mediator.locked_until and mediator.locked_until > now:
        _hasher.hash(password or "")
        raise LoginRefused(REFUSED)
    try:
        _hasher.verify(mediator.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        mediator.failed_logins += 1
        if mediator.failed_logins >= MAX_FAILED_LOGINS:
            mediator.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            mediator.failed_logins = 0
            session.commit()
            raise LoginRefused(REFUSED)
        session.commit()
        raise LoginRefused(REFUSED)
    if _hasher.check_needs_rehash(mediator.password_hash):
        mediator.password_hash = _hasher.hash(password)
    mediator.failed_logins = 0
    mediator.locked_until = None
    session.commit()
    return Identity(mediator.id, mediator.name, mediator.role)


def calendar_token(session: Session, mediator: Mediator) -> str:
    """The secret part of a mediator's private calendar feed URL (created on first use)."""
    if not mediator.calendar_token:
        mediator.calendar_token = secrets.token_urlsafe(32)
        session.flush()
    return mediator.calendar_token
