"""The knowledge base (data/knowledge/<need>.yml): kinds of solutions, never brands."""

from __future__ import annotations

from dataclasses import dataclass

from bot import paths
from bot.datafiles import load_cached


@dataclass(frozen=True)
class Solution:
    id: str
    title: str
    description: str
    levels: tuple[int, ...]
    advantages: tuple[str, ...]
    drawbacks: tuple[str, ...]
    effort: str
    source: str = ""
    checked: str = ""
    team_only: bool = False  # only makes sense with employees
    solo_only: bool = False  # only makes sense for someone working alone
    note: str = ""  # for the team: what the source does not settle


@dataclass(frozen=True)
class Resource:
    name: str
    what: str
    url: str
    checked: str
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Obligation:
    """A legal obligation tied to the need: said first, not offered as one option among others."""

    title: str
    summary: str
    details: str
    source: str
    checked: str
    note: str = ""


@dataclass(frozen=True)
class KnowledgeEntry:
    need: str
    nature: str
    solutions: tuple[Solution, ...]
    resources: tuple[Resource, ...]
    tip: str
    obligation: Obligation | None = None


def entry(need: str) -> KnowledgeEntry:
    raw = load_cached(paths.DATA / "knowledge" / f"{need}.yml", "KNOWLEDGE")
    if raw["need"] != need:
        raise ValueError(f"data/knowledge/{need}.yml declares need {raw['need']!r}")
    return KnowledgeEntry(
        need=need,
        nature=raw["nature"],
        solutions=tuple(
            Solution(
                **{**s, "levels": tuple(s["levels"]), "advantages": tuple(s["advantages"]), "drawbacks": tuple(s["drawbacks"])}
            )
            for s in raw["solutions"]
        ),
        resources=tuple(Resource(**r) for r in raw["resources"]),
        tip=raw["tip"],
        obligation=Obligation(**raw["obligation"]) if "obligation" in raw else None,
    )


def solution(need: str, solution_id: str) -> Solution | None:
    return next((s for s in entry(need).solutions if s.id == solution_id), None)


def solutions_for(need: str, maturity_level: int | None = None, limit: int = 3) -> list[Solution]:
    """Two or three kinds of solutions suited to the business's maturity (all levels if unknown)."""
    solutions = [s for s in entry(need).solutions if not s.solo_only]
    if maturity_level is not None:
        suited = [s for s in solutions if maturity_level in s.levels]
        solutions = suited if len(suited) >= 2 else solutions
    return list(solutions[:limit])
