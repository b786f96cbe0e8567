"""`make profile`: where a message's time goes. Our stack as `make run` starts it, the `make bench`
load (warm-up first, not recorded), py-spy sampling the Rasa server and the action server while it
plays. Writes the raw stacks (reports/profile-<server>.txt, collapsed format: open them in
https://www.speedscope.app or flamegraph.pl) and reports/profile.md: each server's samples by part
of a message's work, and the functions with the largest inclusive share.

A benchmark that reports figures, never a test: the shares move with the machine and its load.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot import paths
from bot.ops import bench, supervisor, training

RATE = 200  # samples per second

# Parts of a message's work, per server: a sample goes to the part of its innermost frame that
# matches one (a patch of ours that calls Rasa's NLU counts as NLU; only its own work counts as
# the patch). TensorFlow frames match nothing: they count for the NLU or policy frame above them.
PARTS: dict[str, list[tuple[str, re.Pattern]]] = {
    "rasa": [
        ("our channel checks (rate limits, back-end health)", re.compile(r"bot/(channels|rate_limits)")),
        (
            "our patches (typed answers and payloads, person words)",
            re.compile(r"bot/rasa_extensions/patches/|bot/(domain|language)/"),
        ),
        ("NLU (spaCy, classifiers, entities)", re.compile(r"rasa/nlu/|rasa_extensions/nlu/|spacy/|sklearn/")),
        ("dialogue policies", re.compile(r"rasa/core/policies/|rasa_extensions/policies")),
        ("lock store", re.compile(r"lock_store")),
        ("tracker store (read, write)", re.compile(r"tracker_store|sqlalchemy/")),
        ("custom action calls (HTTP, tracker as JSON)", re.compile(r"\(rasa/core/actions/action\.py|aiohttp/client")),
        ("Rasa's turn handling (processor, tracker, events)", re.compile(r"\(rasa/(core|shared|engine)/")),
    ],
    "actions": [
        ("database (dossier writes, spool)", re.compile(r"bot/store/|sqlalchemy/")),
        ("our actions", re.compile(r"\(actions/|bot/(domain|language|mail)/")),
        ("rasa_sdk and HTTP", re.compile(r"rasa_sdk/|sanic/")),
    ],
}


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is missing: `make install` installs it (requirements.lock)")
    return found


def record(pid: int, out: Path) -> subprocess.Popen:
    """py-spy on `pid`, only samples of a thread holding the GIL: the worker threads of both servers
    (the action threads, the tracker store's `to_thread`) wait on a queue most of the time, which
    py-spy does not count as idle; what the shares compare is the work that holds the interpreter."""
    return subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw", "--output", str(out), "--nonblocking"]
        + ["--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_stacks(path: Path) -> Counter:
    """Collapsed stacks (`frame;frame;… count`), root first."""
    stacks: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def by_part(stacks: Counter, server: str) -> list[tuple[str, float]]:
    total = sum(stacks.values()) or 1
    parts: Counter = Counter()
    for stack, count in stacks.items():
        parts[_part_of(stack, PARTS[server])] += count
    return [(name, 100 * count / total) for name, count in parts.most_common()]


def _part_of(stack: str, parts: list[tuple[str, re.Pattern]]) -> str:
    for frame in reversed(stack.split(";")):  # innermost first
        for label, pattern in parts:
            if pattern.search(frame):
                return label
    return "HTTP server, event loop, the rest"


def top_functions(stacks: Counter, limit: int = 20) -> list[tuple[str, float]]:
    """Inclusive share of each function of ours or Rasa's (counted once per sample)."""
    total = sum(stacks.values()) or 1
    inclusive: Counter = Counter()
    for stack, count in stacks.items():
        for frame in set(stack.split(";")):
            if re.search(r"\((bot|actions)/|rasa/(core|nlu|engine)/|rasa_sdk/|sqlalchemy/|spacy/", frame):
                inclusive[frame] += count
    return [(frame, 100 * count / total) for frame, count in inclusive.most_common(limit)]


def run(people: int = 20) -> Path:
    work = bench.fresh_work_dir("profile")
    model = training.ensure_model()
    settings = bench.our_stack(work, f"sqlite:///{work / 'profile.db'}")
    reports = paths.REPORTS
    reports.mkdir(parents=True, exist_ok=True)
    group = supervisor.start_servers(settings, model)
    try:
        bench.wait_for_answer(settings.rasa_url)
        webhook = f"{settings.rasa_url}/webhooks/rest/webhook"
        bench.warm_up(webhook)
        outputs = {name: reports / f"profile-{name}.txt" for name in ("rasa", "actions")}
        recorders = {name: record(group.processes[name].pid, out) for name, out in outputs.items()}
        time.sleep(1)  # py-spy attached
        result = bench.measure_load("profil", webhook, people, {})
        for recorder in recorders.values():
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        for name, recorder in recorders.items():
            try:
                recorder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recorder.kill()
            if not outputs[name].exists():
                raise SystemExit(f"py-spy wrote nothing for {name}: {recorder.stderr.read()[-500:]}")
    finally:
        group.stop()
    lines = [
        "# Where a message's time goes (`make profile`)",
        "",
        f"Python {sys.version.split()[0]}, {people} concurrent conversations, SQLite, py-spy at {RATE} Hz "
        f"(samples of the thread holding the GIL). {len(result.latencies_ms)} messages, {result.errors} errors, "
        f"{result.throughput:.1f} msg/s, p50 {result.percentile(50):.0f} ms, p95 {result.percentile(95):.0f} ms.",
    ]
    for name in ("rasa", "actions"):
        stacks = read_stacks(outputs[name])
        samples = sum(stacks.values())
        lines += [
            "",
            f"## {name} server: {samples} samples "
            f"({samples / RATE / len(result.latencies_ms) * 1000:.1f} ms holding the GIL per message)",
            "",
            "| part of the work | share |",
            "|---|---|",
            *[f"| {part} | {share:.1f} % |" for part, share in by_part(stacks, name)],
            "",
            "| function (inclusive) | share |",
            "|---|---|",
            *[f"| `{frame}` | {share:.1f} % |" for frame, share in top_functions(stacks)],
        ]
    out = reports / "profile.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nWritten to {out}; raw stacks in {', '.join(str(p) for p in outputs.values())}")
    return out
