"""Nearest France Services sites for a French postal code.

Data: « ANCT — liste des espaces France Services, data.gouv.fr, mise à jour du 1er août 2024 »
(Licence Ouverte 2.0), shipped in data/france_services/. The person's position is estimated
from the sites sharing their postal code, else its first three digits, else its department;
sites are then sorted by distance from there.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from bot import paths
from bot.language.textnorm import normalize

DATA_FILE = paths.DATA / "france_services" / "liste-fs-20240801.csv"
CREDIT = "ANCT — liste des espaces France Services, data.gouv.fr, mise à jour du 1er août 2024"
POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
# « je suis à Lyon 69003, où aller ? »: a postal code with words asking where to go, outside the questionnaire
WHERE_WORDS = re.compile(
    r"\b(ou|aller|pres|proche|proches|adresse|lieu|lieux|guichet|accueil|france services|je suis a|j habite|je vis a)\b"
)
HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]


@dataclass(frozen=True)
class Site:
    name: str
    address: str
    postal_code: str
    city: str
    phone: str
    email: str
    latitude: float
    longitude: float
    hours: dict[str, str]
    appointment_required: bool


@lru_cache(maxsize=1)
def sites() -> tuple[Site, ...]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = []
    for row in rows:
        try:
            latitude, longitude = float(row["latitude"]), float(row["longitude"])
        except (TypeError, ValueError):
            continue  # a site without coordinates cannot be ranked by distance
        address = " ".join(filter(None, [row["adresse"], row["complement_adresse"]]))
        result.append(
            Site(
                name=row["lib_fs"],
                address=address,
                postal_code=row["code_postal"],
                city=row["lib_com"],
                phone=row["telephone"],
                email=row["mail"],
                latitude=latitude,
                longitude=longitude,
                hours={day: row[f"h_{day}"] for day in WEEKDAYS if row.get(f"h_{day}")},
                appointment_required=row["prise_rdv"].strip().lower() == "oui",
            )
        )
    return tuple(result)


def is_postal_code(text: str) -> bool:
    return bool(POSTAL_CODE.match(text.strip()))


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def nearest(postal_code: str, limit: int = 3) -> list[Site]:
    """The closest sites, or [] for an invalid or unknown postal code."""
    postal_code = postal_code.strip()
    if not is_postal_code(postal_code):
        return []
    for prefix_length in (5, 3, 2):
        around = [s for s in sites() if s.postal_code.startswith(postal_code[:prefix_length])]
        if around:
            break
    else:
        return []
    lat = sum(s.latitude for s in around) / len(around)
    lon = sum(s.longitude for s in around) / len(around)
    return sorted(sites(), key=lambda s: _distance_km(lat, lon, s.latitude, s.longitude))[:limit]


def asked_near(text: str) -> str | None:
    """The postal code of a message asking where to go near it (« je suis à Lyon 69003, où aller ? »),
    else None: a bare number, or a code without such words, is not read as a request."""
    codes = [c for c in re.findall(r"(?<!\d)\d{5}(?!\d)", text) if is_postal_code(c)]
    if len(codes) != 1 or not WHERE_WORDS.search(normalize(text)):
        return None
    return codes[0]


def _clock(hour: str, minute: str) -> str:
    return f"{int(hour)} h" + (f" {minute}" if minute != "00" else "")


def hours_text(raw: str) -> str:
    """« 09:00 - 12:00 / 13:30 - 17:00 » -> « de 9 h à 12 h et de 13 h 30 à 17 h »; text the data
    holds in another shape is given as it is."""
    periods = []
    for part in raw.split("/"):
        found = HOURS.match(part)
        if found is None:
            return raw.strip()
        periods.append(f"de {_clock(*found.group(1, 2))} à {_clock(*found.group(3, 4))}")
    return " et ".join(periods)


def opening_text(site: Site) -> str:
    """The site's opening hours as the data holds them, day by day, in French."""
    if not site.hours:
        return "horaires non indiqués, appelez avant de venir"
    days = " ; ".join(f"{day} {hours_text(text)}" for day, text in site.hours.items())
    return days + (" (sur rendez-vous)" if site.appointment_required else "")


def describe(site: Site) -> str:
    """One line per site, as the person reads it: name, address, phone, opening hours."""
    phone = f", tél. {site.phone}" if site.phone else ""
    return f"• {site.name}, {site.address}, {site.postal_code} {site.city}{phone}. Horaires : {opening_text(site)}."
