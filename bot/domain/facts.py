"""Where each fact of the knowledge base and the referral directory was checked, and when.

`bot facts` (and `make facts`) lists the entries, the longest unchecked first, so that the team
knows what to re-check. It fails (exit 1) when an entry the assistant states has no source or no
check date: every solution, resource, obligation and structure says where it was checked. A
source that is only a site's home page is marked « home page », to be replaced by the page that
says the fact. The age is computed from the date the caller gives (no hidden clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain import knowledge, referrals
from bot.schemas import NEED_IDS

HOME_PAGE = re.compile(r"^https://[^/]+/?$")


@dataclass(frozen=True)
class Fact:
    where: str  # data file and entry, e.g. "referrals.yml: urssaf"
    source: str
    checked: date | None
    note: str = ""

    def age_days(self, today: date) -> int:
        return (today - self.checked).days if self.checked else 0

    @property
    def missing(self) -> bool:
        return not self.source or self.checked is None

    @property
    def home_page(self) -> bool:
        return bool(HOME_PAGE.match(self.source))


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def all_facts() -> list[Fact]:
    facts = [Fact(f"referrals.yml: {s.id}", s.source, _day(s.checked), s.note) for s in referrals.structures()]
    for need in NEED_IDS:
        entry = knowledge.entry(need)
        where = f"knowledge/{need}.yml"
        if entry.obligation is not None:
            o = entry.obligation
            facts.append(Fact(f"{where}: obligation", o.source, _day(o.checked), o.note))
        facts += [Fact(f"{where}: {s.id}", s.source, _day(s.checked), s.note) for s in entry.solutions]
        facts += [Fact(f"{where}: {r.name}", r.source, _day(r.checked), r.note) for r in entry.resources]
    return facts


def missing(facts: list[Fact]) -> list[Fact]:
    """The entries without a source page or a check date: `bot facts` fails while there is one."""
    return [f for f in facts if f.missing]


def by_age(facts: list[Fact]) -> list[Fact]:
    """The oldest check first (ties: file order); entries without a date first of all."""
    return sorted(facts, key=lambda f: f.checked or date.min)


def render(facts: list[Fact], today: date) -> str:
    lines = [f"{'checked':<10}  {'age':>5}  entry  (source)"]
    for f in by_age(facts):
        if f.checked is None or not f.source:
            lines.append(f"{'MISSING':<10}  {'':>5}  {f.where}  (no source or no check date)")
            continue
        flag = "  [home page]" if f.home_page else ""
        lines.append(f"{f.checked.isoformat():<10}  {f.age_days(today):>4}d  {f.where}  ({f.source}){flag}")
    absent, home = missing(facts), [f for f in facts if not f.missing and f.home_page]
    lines.append(f"{len(facts)} facts, {len(absent)} without a source or a check date, {len(home)} sourced to a home page only.")
    return "\n".join(lines)
