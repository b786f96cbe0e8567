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


def for_need(need: str, sector: str | None = None) -> list[Structure]:
    """Structures serving a need; sector-restricted ones (chambers) only for their sectors."""
    return [s for s in structures() if need in s.needs and s.serves_sector(sector)]


def for_topic(topic: str, sector: str | None = None) -> list[Structure]:
    return [s for s in structures() if topic in s.topics and s.serves_sector(sector)]
