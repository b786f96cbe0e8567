"""The referral directory (data/referrals.yml): where to send a person, why and how."""

from __future__ import annotations

from dataclasses import dataclass

from bot import paths
from bot.datafiles import load_cached


@dataclass(frozen=True)
class Structure:
    id: str
    name: str
    what: str
    why: str
    how: str
    url: str
    scope: str
    needs: tuple[str, ...]
    topics: tuple[str, ...]
    source: str
    checked: str  # "YYYY-MM-DD": when the facts above were last checked against `source`
    sectors: tuple[str, ...] = ()
    note: str = ""  # for the team: what the source does not settle

    def serves_sector(self, sector: str | None) -> bool:
        return not self.sectors or (sector is not None and sector in self.sectors)


def structures() -> list[Structure]:
    raw = load_cached(paths.DATA / "referrals.yml", "REFERRALS")["structures"]
    return [
        Structure(**{**s, "needs": tuple(s["needs"]), "topics": tuple(s["topics"]), "sectors": tuple(s.get("sectors", []))})
        for s in raw
    ]


def by_id(structure_id: str) -> Structure | None:
    return next((s for s in structures() if s.id == structure_id), None)


# The chambers' business services, for a business of 10 or more staff (size bucket "10+").
BUSINESS_SERVICES = ("cci", "cma", "chambre_agriculture")
# Help meant for private individuals and first steps: not where a business of 10 or more is sent.
PERSONAL_HELP = ("france_services", "conseiller_numerique")
LARGER_BUSINESS = "10+"


def for_need(need: str, sector: str | None = None, size: str | None = None) -> list[Structure]:
    """Structures serving a need; sector-restricted ones (chambers) only for their sectors."""
    return _routed([s for s in structures() if need in s.needs and s.serves_sector(sector)], sector, size)


def for_topic(topic: str, sector: str | None = None, size: str | None = None) -> list[Structure]:
    """Structures serving an out-of-scope topic (data/topics.yml), in the file's order: a dispute
    goes to Point-justice, contributions to URSSAF, a private individual's own procedure to France Services."""
    found = [s for s in structures() if topic in s.topics and s.serves_sector(sector)]
    if topic == "particulier":
        return found  # a private person's own procedure: France Services, whatever the business's size
    return _routed(found, sector, size)


def _routed(found: list[Structure], sector: str | None, size: str | None) -> list[Structure]:
    """A business of 10 or more staff: its chamber's business services first (both CCI and CMA
    when the sector is unknown), and never the places meant for private individuals."""
    if size != LARGER_BUSINESS:
        return found
    chambers = [
        s
        for s in structures()
        if s.id in BUSINESS_SERVICES and (s.serves_sector(sector) or (sector is None and s.id != "chambre_agriculture"))
    ]
    rest = [s for s in found if s.id not in PERSONAL_HELP and s.id not in BUSINESS_SERVICES]
    return chambers + rest
