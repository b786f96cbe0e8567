"""Signed links sent by e-mail (itsdangerous): one salt per purpose, so a link made for one thing
never opens another, and an expiry inside the signed data, checked against the caller's `now`.

- Managing an appointment (/rendez-vous/<token>): names the appointment's reference, valid until
  the appointment starts; the page checks again against the appointment's current time.
- Resetting a mediator's password (/mediateurs/mot-de-passe/<token>): valid RESET_MINUTES, and
  single use: it carries a fingerprint of the current password hash, which the reset changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeSerializer

from bot.store.accounts import password_fingerprint

APPOINTMENT_SALT = "rendez-vous:gerer"
RESET_SALT = "mediateur:mot-de-passe"
RESET_MINUTES = 30


def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def _expired(data: dict, now: datetime) -> bool:
    return not isinstance(data.get("x"), int) or now > datetime.fromtimestamp(data["x"], timezone.utc)


def appointment_token(secret: str, reference: str, expires_at: datetime) -> str:
    return _serializer(secret, APPOINTMENT_SALT).dumps({"r": reference, "x": int(expires_at.timestamp())})


def appointment_reference(secret: str, token: str, *, now: datetime) -> str | None:
    """The reference a valid, unexpired link names; None otherwise (forged, altered, expired)."""
    try:
        data = _serializer(secret, APPOINTMENT_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), str) or _expired(data, now):
        return None
    return data["r"]


def reset_token(secret: str, mediator_id: int, password_hash: str | None, *, now: datetime) -> str:
    expires = now + timedelta(minutes=RESET_MINUTES)
    return _serializer(secret, RESET_SALT).dumps(
        {"m": mediator_id, "h": password_fingerprint(password_hash), "x": int(expires.timestamp())}
    )


def reset_claims(secret: str, token: str, *, now: datetime) -> tuple[int, str] | None:
    """(mediator id, password fingerprint) of a valid, unexpired reset link; None otherwise."""
    try:
        data = _serializer(secret, RESET_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int) or _expired(data, now):
        return None
    return data["m"], str(data.get("h"))
