"""Advice that fits the person: which kinds of solutions to propose, and in which order.

The profile (« qui est-il ? ») changes the answer, not just a sentence of it:
- size: someone working alone is never offered what needs employees (« team_only »), and gets
  what is meant for them (« solo_only »: their own CPF, the independents' training funds);
- maturity of the business: solutions marked for its level, when at least two are;
- skills: a beginner (or a business taking its first steps) gets the least effort first;
- nature: for a strategic question a mediator is offered first, before the list;
- role: an employee asking a strategic question is told the choice is usually the management's;
- sector: the chambers (CCI, CMA, chambre d'agriculture) of that sector only (bot/domain/referrals.py);
- 10 or more staff: the chambers' business services first, not the places meant for private individuals.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import knowledge, referrals
from bot.domain.knowledge import Obligation, Solution
from bot.domain.referrals import Structure

EFFORT_ORDER = {"faible": 0, "moyen": 1, "important": 2}
MANAGEMENT_ROLES = {"dirigeant"}


@dataclass(frozen=True)
class Profile:
    size: str | None = None  # seul | 1-9 | 10+
    role: str | None = None  # dirigeant | salarie | secretariat | autre
    sector: str | None = None  # a key of data/sectors.yml
    maturity: int | None = None  # 1..4 (data/maturity.yml)
    skills: str | None = None  # debutant | intermediaire | avance
    nature: str | None = None  # technique | strategique, when the person said it

    @property
    def beginner(self) -> bool:
        return self.skills == "debutant" or self.maturity == 1


@dataclass(frozen=True)
class Advice:
    need: str
    nature: str
    solutions: tuple[Solution, ...]
    structures: tuple[Structure, ...]
    obligation: Obligation | None
    mediator_first: bool
    ask_management: bool  # an employee's strategic question: the management decides
    simplest_first: bool
    larger_business: bool = False  # 10 or more staff: the chambers, not the places meant for private individuals


def fits(solution: Solution, size: str | None) -> bool:
    if solution.team_only and size == "seul":
        return False
    if solution.solo_only and size != "seul":
        return False
    return True


def advise(need: str, profile: Profile, limit: int = 3) -> Advice:
    entry = knowledge.entry(need)
    candidates = [s for s in entry.solutions if fits(s, profile.size)]
    if profile.maturity is not None:
        suited = [s for s in candidates if profile.maturity in s.levels]
        candidates = suited if len(suited) >= 2 else candidates
    if profile.beginner:
        # stable sort: the least effort first, then what suits a first step
        candidates = sorted(candidates, key=lambda s: (EFFORT_ORDER[s.effort], 0 if 1 in s.levels else 1))
    elif profile.skills == "avance" and (profile.maturity or 0) >= 3:
        candidates = sorted(candidates, key=lambda s: -min(s.levels))  # the furthest-reaching first
    nature = profile.nature or entry.nature
    strategic = nature == "strategique"
    return Advice(
        need=need,
        nature=nature,
        solutions=tuple(candidates[:limit]),
        structures=tuple(referrals.for_need(need, profile.sector, profile.size)[:3]),
        obligation=entry.obligation,
        mediator_first=strategic,
        ask_management=strategic and profile.role not in (None, *MANAGEMENT_ROLES),
        simplest_first=profile.beginner,
        larger_business=profile.size == referrals.LARGER_BUSINESS,
    )
