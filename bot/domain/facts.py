"""Where each fact of the knowledge base and the referral directory was checked, and when.

`bot facts` (and `make facts`) lists the entries, the longest unchecked first, so that the team
knows what to re-check. The age is computed from the date the caller gives (no hidden clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain import knowledge, referrals
from bot.schemas import NEED_IDS


@dataclass(frozen=True)
class Fact:
    where: str  # data file and entry, e.g. "referrals.yml: urssaf"
    source: str
    checked: date

    def age_days(self, today: date) -> int:
        return (today - self.checked).days


def _day(text: str) -> date:
    return date.fromisoformat(text)


def all_facts() -> list[Fact]:
    facts = [Fact(f"referrals.yml: {s.id}", s.source, _day(s.checked)) for s in referrals.structures()]
    for need in NEED_IDS:
        entry = knowledge.entry(need)
        where = f"knowledge/{need}.yml"
        if entry.obligation is not None:
            facts.append(Fact(f"{where}: obligation", entry.obligation.source, _day(entry.obligation.checked)))
        facts += [Fact(f"{where}: {s.id}", s.source, _day(s.checked)) for s in entry.solutions if s.checked]
        facts += [Fact(f"{where}: {r.name}", r.source or r.url, _day(r.checked)) for r in entry.resources]
    return facts


def by_age(facts: list[Fact]) -> list[Fact]:
    """The oldest check first (ties: file order)."""
    return sorted(facts, key=lambda f: f.checked)


def render(facts: list[Fact], today: date) -> str:
    lines = [f"{'checked':<10}  {'age':>5}  entry  (source)"]
    lines += [f"{f.checked.isoformat():<10}  {f.age_days(today):>4}d  {f.where}  ({f.source})" for f in by_age(facts)]
    return "\n".join(lines)
