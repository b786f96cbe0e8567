"""Checking and normalising what people type as contact details, deadlines and times."""

from __future__ import annotations

import re
from datetime import date, timedelta

import phonenumbers
from email_validator import EmailNotValidError, ValidatedEmail, validate_email

DATE_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
# A number written the national way (0…) is read as French, then as one of the overseas
# departments and territories, whose numbers have their own country codes (+262, +590, +596…).
NATIONAL_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "WF", "PF", "NC")
PHONE_CHUNK = re.compile(r"[+(]?\d[\d\s.\-()/]{5,}\d")
EMAIL_PROBLEMS = (  # email-validator's reasons (2.x), said in French
    ("two periods in a row", "Une adresse e-mail ne peut pas contenir deux points à la suite (« .. »)."),
    ("must have an @-sign", "Il manque le « @ » dans l'adresse e-mail."),
    ("should have a period", "Après le « @ », il manque la fin de l'adresse (par exemple « orange.fr »)."),
    ("start with a period", "Une adresse e-mail ne peut pas commencer par un point."),
    ("period immediately before the @-sign", "Une adresse e-mail ne peut pas avoir un point juste avant le « @ »."),
    ("too long", "Cette adresse e-mail est trop longue."),
    ("SPACE", "Une adresse e-mail ne contient pas d'espace."),
)


def _phone_number(text: str) -> phonenumbers.PhoneNumber | None:
    """A valid phone number (any country in the international form, +…/00…), or None."""
    for region in NATIONAL_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
        if number.country_code != phonenumbers.country_code_for_region(region):
            return None  # an international number: its country code decides, not our guess
    return None


def normalize_phone(text: str) -> str | None:
    """'06.12.34.56.78', '+262 692 12 34 56', '+32 470 12 34 56' -> E.164 ('+33612345678'); None if not valid."""
    number = _phone_number(text.strip())
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(text: str) -> str | None:
    """The address, lower-cased, if it is well formed (no DNS look-up); None otherwise.
    Accepts apostrophes (o'neil@…) and internationalised domains (contact@café.fr)."""
    return None if email_problem(text) else _validated(text).normalized.lower()


def _validated(text: str) -> ValidatedEmail:
    return validate_email(text.strip().strip("<>"), check_deliverability=False)


def email_problem(text: str) -> str | None:
    """Why this is not an e-mail address, in French; None when it is one."""
    try:
        _validated(text)
        return None
    except EmailNotValidError as error:
        reason = str(error)
        return next(
            (french for english, french in EMAIL_PROBLEMS if english in reason),
            "Cette adresse e-mail n'est pas valide. Vérifiez-la, par exemple « prenom.nom@orange.fr ».",
        )


def _email_candidates(text: str) -> list[str]:
    return [w.strip('.,;:!?()[]«»"') for w in re.split(r"[\s,;]+", text.strip()) if "@" in w]


def parse_contact(text: str) -> tuple[str, str] | None:
    """('email' | 'phone', normalised value) found in the text, or None."""
    for word in _email_candidates(text):
        email = normalize_email(word)
        if email:
            return "email", email
    for chunk in [text, *PHONE_CHUNK.findall(text)]:
        phone = normalize_phone(chunk)
        if phone:
            return "phone", phone
    return None


def contact_problem(text: str) -> str | None:
    """When no contact is found in the text: what is wrong with the address typed, if one was."""
    candidates = _email_candidates(text)
    return email_problem(candidates[0]) if candidates else None


def parse_deadline(text: str, today: date) -> date | None:
    """A deadline from a button or typed text: 'cette semaine', 'ce mois-ci', '15/12', '15/12/2026'."""
    lowered = text.lower()
    if "semaine" in lowered:
        return today + timedelta(days=(6 - today.weekday()))
    if "mois" in lowered:
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(days=1)
    match = DATE_DMY.search(lowered)
    if not match:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    year = int(year) + (2000 if year and len(year) == 2 else 0) if year else today.year
    try:
        deadline = date(year, month, day)
    except ValueError:
        return None
    if not match.group(3) and deadline < today:
        deadline = deadline.replace(year=today.year + 1)
    return deadline if deadline >= today else None


NO_DEADLINE_WORDS = (
    "pas d'",
    "pas de",
    "aucune",
    "non",
    "pas press",
    "pas urgent",
    "pas vraiment",
    "rien de",
    "pas spécialement",
    "pas specialement",
    "pas particuli",
)


def says_no_deadline(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in NO_DEADLINE_WORDS)


def display_phone(stored: str | None) -> str:
    """A stored number (E.164) as people read it: '06 12 34 56 78' in France, '+32 470 12 34 56' abroad."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, "FR")
    except phonenumbers.NumberParseException:
        return stored
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 33 else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
