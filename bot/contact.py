"""Checking and normalising what people type as contact details, deadlines and times."""
from __future__ import annotations

import re
from datetime import date, timedelta

EMAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE_DIGITS = re.compile(r"^(?:\+33|0033|0)([1-9]\d{8})$")
DATE_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")


def normalize_phone(text: str) -> str | None:
    """'06.12.34.56.78', '+33 6 12 34 56 78' -> '06 12 34 56 78'; None if not a French number."""
    digits = re.sub(r"[\s.\-()]", "", text.strip()).replace("(0)", "")
    match = PHONE_DIGITS.match(digits)
    if not match:
        return None
    national = "0" + match.group(1)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def normalize_email(text: str) -> str | None:
    candidate = text.strip().strip("<>").lower()
    return candidate if EMAIL.match(candidate) and len(candidate) <= 254 else None


def parse_contact(text: str) -> tuple[str, str] | None:
    """('email' | 'phone', normalised value) found in the text, or None."""
    for word in re.split(r"[\s,;]+", text.strip()):
        email = normalize_email(word)
        if email:
            return "email", email
    phone = normalize_phone(re.sub(r"[^\d+().\s-]", " ", text).strip())
    if phone:
        return "phone", phone
    for chunk in re.findall(r"[+\d][\d\s.\-()]{8,}", text):
        phone = normalize_phone(chunk)
        if phone:
            return "phone", phone
    return None


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


NO_DEADLINE_WORDS = ("pas d'", "pas de", "aucune", "non", "pas press", "pas urgent")


def says_no_deadline(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in NO_DEADLINE_WORDS)
