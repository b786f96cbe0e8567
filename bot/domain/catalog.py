"""Read access to the data files the assistant talks about: needs, sectors, service contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot import paths, settings
from bot.datafiles import load_cached
from bot.domain import opening_hours
from bot.schemas import NEED_IDS


@dataclass(frozen=True)
class Need:
    id: str
    label: str
    phrase: str


@dataclass(frozen=True)
class Sector:
    id: str
    label: str
    chamber: str


@dataclass(frozen=True)
class ServiceContact:
    name: str
    phone: str
    email: str
    hours: str


def needs() -> list[Need]:
    """The nine needs, in the seed document's order."""
    raw = load_cached(paths.DATA / "needs.yml", "NEEDS")["needs"]
    return [Need(id=need_id, **raw[need_id]) for need_id in NEED_IDS]


def need(need_id: str) -> Need | None:
    return next((n for n in needs() if n.id == need_id), None)


def sectors() -> dict[str, Sector]:
    raw = load_cached(paths.DATA / "sectors.yml", "SECTORS")["sectors"]
    return {key: Sector(id=key, **value) for key, value in raw.items()}


def _service() -> dict:
    return load_cached(paths.DATA / "service.yml", "SERVICE")["service"]


def service_contact() -> ServiceContact:
    """The service's contact: SERVICE_PHONE / SERVICE_EMAIL (bot/settings.py) over data/service.yml."""
    raw = {**_service(), **settings.service_contact_overrides()}
    hours = opening_hours.describe(opening_hours.load())
    return ServiceContact(name=raw["name"], phone=raw["phone"], email=raw["email"], hours=hours)


def retention_months() -> int:
    return int(_service()["retention_months"])


def max_validation_failures() -> int:
    """Wrong answers to one form question before the assistant moves on."""
    return _service()["max_validation_failures"]


def follow_up_date(deadline: date | None, today: date) -> date:
    """When to contact a person who asked for a follow-up: `follow_up_days_after_deadline` after
    their deadline, else `follow_up_days` after today; a weekend or a French public holiday moves
    to the next working day (« lundi 2 novembre » after the 1st, not a closed office)."""
    from datetime import timedelta

    service = _service()
    if deadline is not None:
        day = max(deadline, today) + timedelta(days=int(service.get("follow_up_days_after_deadline", 7)))
    else:
        day = today + timedelta(days=int(service.get("follow_up_days", 21)))
    while day.weekday() >= 5 or opening_hours.is_public_holiday(day):
        day += timedelta(days=1)
    return day


def demo_contact_warnings() -> list[str]:
    """What `make run` says while the service's contact details are still the demo values."""
    contact = service_contact()
    warnings = []
    if settings.is_demo_phone(contact.phone):
        warnings.append(f"the service's phone is the demo value {contact.phone!r}: set SERVICE_PHONE.")
    if settings.is_demo_email(contact.email):
        warnings.append(f"the service's e-mail is the demo value {contact.email!r}: set SERVICE_EMAIL.")
    return warnings
