"""The known advisories of our pinned packages (docs/security.md, « Known advisories of pinned
packages ») checked against requirements.lock, without any network: `make audit` runs it before
pip-audit, which needs an advisory database these machines often cannot reach.

A row fails when its package is not pinned, when « our pin » is not the pin of requirements.lock
(the table must follow upgrades), or when the pin is below the fixed version and the status does
not say why the advisory does not apply (« does not apply: … »).

    python -m bot.ops.advisories                      # check; exit status 1 with the reasons
    python -m bot.ops.advisories --pip-audit-ignores  # `--ignore-vuln ID` for each accepted one
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from bot import paths

SECURITY_DOC = paths.ROOT / "docs" / "security.md"
LOCK = paths.ROOT / "requirements.lock"
SECTION = "## Known advisories of pinned packages"
COLUMNS = ("package", "advisory", "what it is", "fixed in", "our pin", "status")
DOES_NOT_APPLY = re.compile(r"^does not apply\b\W*(\w.{20,})", re.I | re.S)  # and a reason of some words


@dataclass(frozen=True)
class Advisory:
    package: str
    ids: tuple[str, ...]  # CVE / GHSA / PYSEC ids
    what: str
    fixed_in: tuple[Version, ...]  # one per maintained series
    pin: str
    status: str


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path = LOCK) -> dict[str, str]:
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[normalise(name)] = version.strip()
    return found


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|")]


def table(doc: Path = SECURITY_DOC) -> list[Advisory]:
    """The rows of the section's markdown table."""
    text = doc.read_text(encoding="utf-8")
    if SECTION not in text:
        raise ValueError(f"{doc} has no section « {SECTION[3:]} »")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.strip().startswith("|")]
    header = [cell.lower() for cell in _cells(lines[0])]
    if tuple(header) != COLUMNS:
        raise ValueError(f"the table's columns must be {COLUMNS}, not {tuple(header)}")
    rows = []
    for line in lines[2:]:
        package, advisory, what, fixed_in, pin, status = _cells(line)
        rows.append(
            Advisory(
                package=normalise(package),
                ids=tuple(re.findall(r"(?:CVE-\d{4}-\d+|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)", advisory)),
                what=what,
                fixed_in=tuple(Version(v) for v in re.findall(r"\d+(?:\.\d+)+(?:\.post\d+)?", fixed_in)),
                pin=pin,
                status=status,
            )
        )
    return rows


def is_fixed(pin: str, fixed_in: tuple[Version, ...]) -> bool:
    """Whether the pin has the fix: it is at least the fixed version of its own series (the
    highest listed version whose major is not above the pin's)."""
    version = Version(pin)
    same_or_older = [fixed for fixed in fixed_in if fixed.major <= version.major]
    return bool(same_or_older) and version >= max(same_or_older)


def problems(rows: list[Advisory], pinned: dict[str, str]) -> list[str]:
    found = []
    for row in rows:
        where = f"{row.package} {' / '.join(row.ids) or '(no advisory id)'}"
        if not row.ids:
            found.append(f"{where}: the advisory needs a CVE, GHSA or PYSEC id")
        if not row.fixed_in:
            found.append(f"{where}: « fixed in » names no version")
            continue
        if row.package not in pinned:
            found.append(f"{where}: not pinned in requirements.lock (remove the row, or pin the package)")
            continue
        if row.pin != pinned[row.package]:
            found.append(f"{where}: « our pin » says {row.pin}, requirements.lock pins {pinned[row.package]}")
            continue
        fixed = is_fixed(row.pin, row.fixed_in)
        if not fixed and not DOES_NOT_APPLY.match(row.status):
            found.append(
                f"{where}: {row.pin} is below the fixed version ({', '.join(map(str, row.fixed_in))}); "
                "upgrade, or say in « status » why it does not apply (« does not apply: … »)"
            )
        if fixed and DOES_NOT_APPLY.match(row.status):
            found.append(f"{where}: {row.pin} has the fix; its status should say « fixed »")
    return found


def accepted_ids(rows: list[Advisory], pinned: dict[str, str]) -> list[str]:
    """The ids of the advisories we stay below on purpose (for pip-audit's --ignore-vuln)."""
    return [
        advisory_id
        for row in rows
        if row.package in pinned and not is_fixed(pinned[row.package], row.fixed_in) and DOES_NOT_APPLY.match(row.status)
        for advisory_id in row.ids
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rows, pinned = table(), pins()
    if argv == ["--pip-audit-ignores"]:
        print(" ".join(f"--ignore-vuln {advisory_id}" for advisory_id in accepted_ids(rows, pinned)))
        return 0
    found = problems(rows, pinned)
    for problem in found:
        print(f"advisories: {problem}", file=sys.stderr)
    if not found:
        below = len({row.package for row in rows if not is_fixed(row.pin, row.fixed_in)})
        print(
            f"advisories: {len(rows)} known advisories of {len({row.package for row in rows})} pinned packages "
            f"(docs/security.md): each fixed by our pin, or not applying to us ({below} packages stay below a fix)."
        )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
