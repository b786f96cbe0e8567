"""The table of known advisories (docs/security.md) holds against requirements.lock: a pin below a
fixed version fails unless its row says why the advisory does not apply (bot/ops/advisories.py,
run by `make audit` too, since pip-audit cannot reach an advisory database from here)."""

from __future__ import annotations

from packaging.version import Version

from bot import paths
from bot.ops import advisories

HEADER = "| package | advisory | what it is | fixed in | our pin | status |\n|---|---|---|---|---|---|\n"


def check(tmp_path, rows: str, lock: str) -> list[str]:
    doc, pinned = tmp_path / "security.md", tmp_path / "requirements.lock"
    doc.write_text(f"# Security\n\n{advisories.SECTION}\n\n{HEADER}{rows}\n## Next\n", encoding="utf-8")
    pinned.write_text(lock, encoding="utf-8")
    return advisories.problems(advisories.table(doc), advisories.pins(pinned))


def test_every_pin_has_the_fix_of_its_known_advisories_or_says_why_it_does_not_apply():
    assert advisories.problems(advisories.table(), advisories.pins()) == []


def test_the_socket_io_queue_advisory_is_listed_and_our_pin_has_its_fix():
    row = next(r for r in advisories.table() if "CVE-2025-61765" in r.ids)
    assert row.package == "python-socketio" and row.fixed_in == (Version("5.14.0"),)
    assert advisories.is_fixed(advisories.pins()["python-socketio"], row.fixed_in)


def test_a_pin_below_a_fix_fails_unless_the_row_says_why(tmp_path):
    row = "| python-socketio | CVE-2025-61765 | queue unpickled | 5.14.0 | 5.9.0 | {} |\n"
    lock = "python-socketio==5.9.0\n"
    [problem] = check(tmp_path, row.format("fixed"), lock)
    assert "5.9.0 is below the fixed version (5.14.0)" in problem
    assert check(tmp_path, row.format("does not apply"), lock) != []  # a reason is needed
    assert check(tmp_path, row.format("does not apply: we run one server and no message queue at all"), lock) == []


def test_the_table_must_follow_the_lock(tmp_path):
    row = "| requests | CVE-2024-47081 | netrc leak | 2.32.4 | 2.32.4 | fixed |\n"
    assert "requirements.lock pins 2.34.2" in check(tmp_path, row, "requests==2.34.2\n")[0]
    assert "not pinned" in check(tmp_path, row, "idna==3.20\n")[0]
    assert "needs a CVE, GHSA or PYSEC id" in check(tmp_path, row.replace("CVE-2024-47081", "a leak"), "requests==2.32.4\n")[0]


def test_the_fix_is_looked_for_in_the_pins_own_series():
    fixed_in = (Version("1.26.19"), Version("2.2.2"))
    assert advisories.is_fixed("1.26.20", fixed_in) and advisories.is_fixed("2.8.0", fixed_in)
    assert not advisories.is_fixed("2.1.0", fixed_in) and not advisories.is_fixed("1.26.18", fixed_in)
    assert not advisories.is_fixed("0.9", fixed_in)


def test_make_audit_runs_this_check_and_gives_pip_audit_the_accepted_ones():
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    audit = makefile.split("\naudit:", 1)[1].split("\n\n", 1)[0]
    assert "bot.ops.advisories" in audit and "--pip-audit-ignores" in audit and "pip-audit" in audit
    ignored = advisories.accepted_ids(advisories.table(), advisories.pins())
    assert "CVE-2025-4565" in ignored and "CVE-2025-61765" not in ignored
