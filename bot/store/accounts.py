"""Console accounts: mediators and admins log in with a password hashed by argon2.

After MAX_FAILED_LOGINS wrong passwords in a row an account is locked for LOCK_MINUTES, so a
password cannot be guessed by trying; the lock-out answer is the same whether the e-mail exists
or not.
"""

from __future__ import annotations

import hashlib
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
REFUSED = (
    f"E-mail ou mot de passe incorrect. Après {MAX_FAILED_LOGINS} essais manqués, un compte reste bloqué "
    f"{LOCK_MINUTES} minutes."
)


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

    Does not commit: the caller commits, also after a refusal, so that the failures count.
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
        raise LoginRefused(REFUSED) from None  # the count stays: the caller commits it all the same
    if _hasher.check_needs_rehash(mediator.password_hash):
        mediator.password_hash = _hasher.hash(password)
    mediator.failed_logins = 0
    mediator.locked_until = None
    return Identity(mediator.id, mediator.name, mediator.role)


def password_fingerprint(password_hash: str | None) -> str:
    """Part of a reset link: it no longer matches once the password changed, so a link serves once."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:20]


def calendar_token(session: Session, mediator: Mediator) -> str:
    """The secret part of a mediator's private calendar feed URL (created on first use)."""
    if not mediator.calendar_token:
        mediator.calendar_token = secrets.token_urlsafe(32)
        session.flush()
    return mediator.calendar_token


# --- one's own account: password, alerts, forgotten password ----------------------------------


def change_password(session: Session, mediator_id: int, current: str, new: str) -> None:
    """ValueError (in French) if the current password is wrong or the new one too short."""
    mediator = session.get(Mediator, mediator_id)
    try:
        _hasher.verify(mediator.password_hash or "", current or "")
    except (VerificationError, InvalidHashError):
        raise ValueError("le mot de passe actuel n'est pas le bon") from None
    set_password(mediator, new)


def set_alerts(session: Session, mediator_id: int, alerts: list[str]) -> list[str]:
    from bot.store.tables import MEDIATOR_ALERTS

    chosen = [a for a in MEDIATOR_ALERTS if a in alerts]
    session.get(Mediator, mediator_id).alerts = chosen
    return chosen


def request_reset(session: Session, email: str) -> bool:
    """Queue a reset link for an active account with this e-mail; the caller says the same thing
    whether it exists or not. True if one was queued."""
    from bot.store import notifications

    mediator = queries.mediator_by_email(session, email or "")
    if mediator is None or not mediator.active or not mediator.password_hash:
        return False
    notifications.password_reset(session, mediator, nonce=secrets.token_hex(8))
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
    return mediator
