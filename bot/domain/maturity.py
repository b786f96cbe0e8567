"""The maturity and skills questionnaire (data/maturity.yml) and its scoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import paths
from bot.datafiles import load_cached


@dataclass(frozen=True)
class Assessment:
    structure_level: int  # 1..4
    structure_name: str
    skill_level: str  # debutant | intermediaire | avance
    skill_name: str
    pix_advice: str
    nature: str  # technique | strategique


def questionnaire() -> dict[str, Any]:
    return load_cached(paths.DATA / "maturity.yml", "MATURITY")


def question(question_id: str) -> dict[str, Any] | None:
    return next((q for q in questionnaire()["questions"] if q["id"] == question_id), None)


def _level_for(levels: list[dict], score: int) -> dict:
    """The highest level whose threshold the score reaches."""
    return max((lvl for lvl in levels if score >= lvl["min_score"]), key=lambda lvl: lvl["min_score"])


def assess(answers: dict[str, str]) -> Assessment:
    """Score answers {question id: answer id}; unanswered questions count as 0 / technique."""
    totals = {"structure": 0, "skills": 0}
    nature = "technique"
    for q in questionnaire()["questions"]:
        chosen = next((a for a in q["answers"] if a["id"] == answers.get(q["id"])), None)
        if chosen is None:
            continue
        if q["measures"] == "nature":
            nature = chosen.get("nature", "technique")
        else:
            totals[q["measures"]] += chosen.get("score", 0)
    levels = questionnaire()["levels"]
    structure = _level_for(levels["structure"], totals["structure"])
    skill = _level_for(levels["skills"], totals["skills"])
    return Assessment(structure["level"], structure["name"], skill["id"], skill["name"], skill["pix"], nature)
