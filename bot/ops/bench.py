"""`make bench`: N concurrent realistic French conversations over the REST webhook, against our
full stack and against a bare Rasa server (same NLU pipeline, no custom actions, no storage),
in the same run. Writes reports/bench.md. A benchmark reports figures; it never fails on a slow
machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml

from bot import paths
from bot import settings as bot_settings
from bot.ops import supervisor, training
from bot.settings import Settings

# What people write, in order; each virtual person plays one script (typos and all).
SCRIPTS = [
    [
        "bonjour",
        "je voudrais que mes clients me trouvent sur internet",
        "oui",
        "non",
        "oui merci",
        "au revoir",
        "non merci",
        "4",
        "Non, c'est tout",
    ],
    [
        "bjr jarrive pas a declarer mon ca sur le site urssaf",
        "oui",
        "non",
        "pas vraiment",
        "passer",
        "oui",
        '/ask_human{"mode_contact": "rappel"}',
        "oui",
        "Martine",
        "06 12 34 56 78",
        "le matin",
        "non",
    ],
    ["comment reconnaitre un mail frauduleux", "oui", "non", "oui", "merci"],
    [
        "je cherche un logiciel pour faire mes devis",
        "c'est ça",
        "non merci",
        "pas vraiment",
        "passer",
        "non",
        "au revoir",
        "non",
        "3",
        "Non, c'est tout",
    ],
]


@dataclass
class LoadResult:
    label: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_message: dict[str, float] = field(default_factory=dict)  # each process's CPU time, divided

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


class MemorySampler(threading.Thread):
    """Peak resident memory of processes (with their children), sampled from /proc."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids, self.peaks, self.running = pids, {name: 0.0 for name in pids}, True

    @staticmethod
    def rss_mb(pid: int) -> float:
        total = 0
        for child in [pid, *_children(pid)]:
            try:
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
        return total / 1024

    def run(self) -> None:
        while self.running:
            for name, pid in self.pids.items():
                self.peaks[name] = max(self.peaks[name], self.rss_mb(pid))
            time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (all its threads) and of its children, from /proc."""
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ValueError):
        return []
    return direct + [g for c in direct for g in _children(c)]


async def _person(session: aiohttp.ClientSession, url: str, script: list[str], result: LoadResult) -> None:
    sender = "bench-" + uuid.uuid4().hex
    for text in script:
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as answer:
                replies = await answer.json()
                ok = answer.status == 200 and isinstance(replies, list) and replies
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok = False
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if not ok:
            result.errors += 1


def _public_token_header() -> dict[str, str]:
    """Through nginx's public port the REST webhook needs PUBLIC_REST_WEBHOOK_TOKEN (bench-prod sets it)."""
    token = os.environ.get("PUBLIC_REST_WEBHOOK_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _load(url: str, people: int, result: LoadResult) -> None:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, headers=_public_token_header()) as session:
        started = time.perf_counter()
        await asyncio.gather(*[_person(session, url, SCRIPTS[i % len(SCRIPTS)], result) for i in range(people)])
        result.seconds = time.perf_counter() - started


async def _one_at_a_time(url: str, result: LoadResult) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        for script in SCRIPTS:
            await _person(session, url, script, result)
        result.seconds = time.perf_counter() - started


def play(
    label: str, base_url: str, people: int, pids: dict[str, int], one_at_a_time: bool = True
) -> tuple[LoadResult | None, LoadResult]:
    """One warm-up conversation per script (not counted: first calls build caches and TensorFlow
    functions in either server); then, if asked, each script alone, one conversation at a time
    (what one person feels on a quiet day); then the measured load."""
    webhook = f"{base_url}/webhooks/rest/webhook"
    warm_up(webhook)
    alone = None
    if one_at_a_time:
        alone = LoadResult(f"{label}, une conversation à la fois")
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        asyncio.run(_one_at_a_time(webhook, alone))
        # CPU time per message: what other jobs on the machine change least (latency moves with them)
        alone.cpu_ms_per_message = {
            name: (cpu_seconds(pid) - before[name]) * 1000 / max(1, len(alone.latencies_ms)) for name, pid in pids.items()
        }
    return alone, measure_load(label, webhook, people, pids)


def warm_up(webhook: str) -> None:
    """One conversation per script, not counted: first calls build caches and TensorFlow functions."""
    asyncio.run(_load(webhook, len(SCRIPTS), LoadResult("warm-up")))


def measure_load(label: str, webhook: str, people: int, pids: dict[str, int]) -> LoadResult:
    """`people` conversations at once, with the peak memory of the processes `pids`."""
    result = LoadResult(label)
    sampler = MemorySampler(pids)
    sampler.start()
    asyncio.run(_load(webhook, people, result))
    sampler.running = False
    sampler.join()
    result.peak_rss_mb = sampler.peaks
    return result


# --- the bare Rasa server to compare with ---------------------------------------------------


def bare_project(directory: Path) -> Path:
    """Same NLU pipeline and data; one canned answer per intent; no actions, no storage."""
    directory.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(paths.CONFIG.read_text())
    config["policies"] = [{"name": "RulePolicy"}]
    (directory / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    domain = yaml.safe_load(paths.DOMAIN.read_text())
    intents = [i for i in domain["intents"] if i != "inform"]
    bare_domain = {
        "version": "3.1",
        "intents": intents,
        "entities": domain.get("entities", []),
        "responses": {f"utter_{i}": [{"text": f"Réponse {i}."}] for i in intents},
    }
    (directory / "domain.yml").write_text(yaml.safe_dump(bare_domain, allow_unicode=True))
    rules = {
        "version": "3.1",
        "rules": [{"rule": i, "steps": [{"intent": i}, {"action": f"utter_{i}"}]} for i in intents]
        + [{"rule": "fallback", "steps": [{"intent": "nlu_fallback"}, {"action": "utter_out_of_scope"}]}],
    }
    (directory / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True))
    (directory / "endpoints.yml").write_text("# bare: in-memory tracker store, no action server\n")
    (directory / "credentials.yml").write_text("rest:\n")
    return directory


def train_bare(directory: Path) -> tuple[Path, float]:
    model = directory / "bare.tar.gz"
    command = training.train_command(
        model, directory / "config.yml", directory / "domain.yml", [paths.DATA / "nlu", directory / "rules.yml"]
    )
    return model, _timed(command, training.rasa_env())


def train_ours_from_scratch(directory: Path) -> float:
    """Seconds to train our model with an empty component cache (what a fresh `make run` pays)."""
    return _timed(
        training.train_command(directory / "ours.tar.gz"),
        {**training.rasa_env(), "RASA_CACHE_DIRECTORY": str(directory / "cache")},
    )


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=paths.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def wait_for_answer(url: str, timeout: float = 300, process: subprocess.Popen | None = None) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited (code {process.returncode})")
        try:
            if requests.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": "warm", "message": "bonjour"},
                headers=_public_token_header(),
                timeout=10,
            ).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no answer from {url}")


# --- the production profile: 1 and 2 Rasa servers behind nginx ---------------------------------


def run_profile(people: int = 20) -> Path:
    """Same load through nginx against the production profile with 1, then 2 Rasa servers, in
    reports/bench.md beside the other run."""
    from bot.ops import production
    from bot.ops.store_cli import prepare_database
    from bot.ops.supervisor import free_port

    work = fresh_work_dir("bench-prod")
    model = training.ensure_model()
    os.environ.setdefault("PUBLIC_REST_WEBHOOK_TOKEN", "bench-" + uuid.uuid4().hex)  # the webhook through nginx
    for variable in bot_settings.PUBLISHER_SETTINGS:  # production refuses to start without a publisher
        os.environ.setdefault(variable, f"Banc d'essai ({variable})")
    settings = production.production_settings()
    settings = dataclasses.replace(settings, var_dir=work, web_port=free_port())
    rows = []
    failover_notes: list[str] = []
    for servers, kill in ((1, False), (2, False), (2, True)):
        layout = production.Layout(
            settings=settings,
            public_port=free_port(),
            rasa_ports=tuple(free_port() for _ in range(servers)),
            action_ports=(free_port(), free_port()),
            actions_port=free_port(),
            rasa_api_port=free_port(),
            web_workers=2,
            redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            run_dir=work / f"prod-{servers}{'-failover' if kill else ''}",
        )
        production.check_services(layout)
        prepare_database(settings)
        group = production.start(layout, model)
        try:
            wait_for_answer(layout.public_url)
            pids = {name: p.pid for name, p in group.processes.items() if name.startswith("rasa")}
            if kill:
                label = f"{servers} serveurs Rasa, rasa-0 tué (SIGKILL) après {KILL_AFTER} réponses"
                rows.append((label, _failover(label, group, layout, people, failover_notes)))
            else:
                label = f"{servers} serveur(s) Rasa"
                rows.append((label, play(label, layout.public_url, people, pids, one_at_a_time=False)[1]))
        finally:
            group.stop()
    lines = [
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU, {people} concurrent conversations, "
        "through nginx, PostgreSQL tracker store, Redis lock store.",
        "",
        "| run | messages | errors | msg/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, result in rows:
        lines.append(
            f"| {label} | {len(result.latencies_ms)} | {result.errors} | {result.throughput:.1f} | "
            f"{result.percentile(50):.0f} | {result.percentile(95):.0f} | {result.percentile(99):.0f} |"
        )
    lines += [
        "",
        "On a 2-core machine both Rasa servers, the action servers, PostgreSQL, Redis, nginx and the",
        "load generator share the same two cores: compare the rows with each other, not with the",
        "embedded default above or with another machine.",
        "",
        "The failover run: the supervisor of run-prod restarts rasa-0 (at a lower priority while it",
        "loads); nginx sends the requests in flight on it to the other server, and the conversations",
        "whose lock it held wait for the lock to lapse (TICKET_LOCK_LIFETIME). What the supervisor said:",
        "",
        *[f"- {note}" for note in failover_notes],
    ]
    return _write_section(PROFILE_SECTION, lines)


KILL_AFTER = 40  # answers of the measured load before rasa-0 is killed


def _failover(label: str, group, layout, people: int, notes: list[str]) -> LoadResult:
    """The load through nginx with run-prod's restarter ticking; rasa-0 SIGKILLed after KILL_AFTER
    answers; the load goes on to its end."""
    from bot.ops import production

    webhook = f"{layout.public_url}/webhooks/rest/webhook"
    warm_up(webhook)
    keeper = production.restarter(group, layout, say=notes.append)
    result = LoadResult(label)
    done = threading.Event()

    def supervise() -> None:
        killed = False
        while not done.is_set():
            if not killed and len(result.latencies_ms) >= KILL_AFTER:
                os.killpg(group.processes["rasa-0"].pid, signal.SIGKILL)
                killed = True
            keeper.tick()
            time.sleep(0.2)

    supervisor_thread = threading.Thread(target=supervise, daemon=True)
    supervisor_thread.start()
    try:
        asyncio.run(_load(webhook, people, result))
        deadline = time.monotonic() + 300  # until rasa-0 answers again, to report when it did
        while time.monotonic() < deadline and keeper.watches["rasa-0"].status != "running":
            time.sleep(0.5)
    finally:
        done.set()
        supervisor_thread.join()
    return result


PROFILE_SECTION = "## Production profile (`make bench-prod`)"


def _write_section(title: str, lines: list[str]) -> Path:
    """reports/bench.md holds both runs: this one's section is replaced, the other kept."""
    report = paths.ROOT / "reports" / "bench.md"
    report.parent.mkdir(exist_ok=True)
    existing = report.read_text() if report.exists() else "# Benchmark\n"
    kept = existing.split("\n" + PROFILE_SECTION)[0].rstrip("\n")
    if title == PROFILE_SECTION:
        text = kept + "\n\n" + title + "\n\n" + "\n".join(lines) + "\n"
    else:
        profile = existing.split("\n" + PROFILE_SECTION, 1)
        text = title + "\n\n" + "\n".join(lines) + "\n" + ("\n" + PROFILE_SECTION + profile[1] if len(profile) == 2 else "")
    report.write_text(text)
    print(text)
    return report


# --- the whole run ---------------------------------------------------------------------------


def our_stack(work: Path, database_url: str) -> Settings:
    """Settings of our stack as `make run` starts it, on free local ports with throw-away secrets,
    its database prepared (`make bench`, `make profile`)."""
    from bot.ops.store_cli import prepare_database
    from bot.ops.supervisor import free_port

    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=free_port(),
        web_port=free_port(),
        rasa_token=uuid.uuid4().hex,
        conversation_secret=uuid.uuid4().hex,
        database_url=database_url,
        var_dir=work,
        allowed_origins=(),
        public_socket_url="",
        session_secret=uuid.uuid4().hex,
    )
    prepare_database(settings)
    return settings


def fresh_work_dir(name: str) -> Path:
    """var/<name>, emptied."""
    work = paths.ROOT / "var" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def run(people: int = 20) -> Path:
    from bot.ops.supervisor import free_port

    work = fresh_work_dir("bench")
    model = training.ensure_model()
    lines = [f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU, {people} concurrent conversations."]

    # our stack, as `make run` starts it (embedded SQLite unless DATABASE_URL is set)
    settings = our_stack(work, os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'bench.db'}")
    started = time.monotonic()
    group = supervisor.start_servers(settings, model)
    try:
        wait_for_answer(settings.rasa_url)
        cold_start = time.monotonic() - started
        pids = {name: p.pid for name, p in group.processes.items()}
        ours_alone, ours = play("notre assistant", settings.rasa_url, people, pids)
    finally:
        group.stop()

    # the bare Rasa server, same NLU pipeline
    bare_dir = bare_project(work / "bare")
    bare_model, bare_training = train_bare(bare_dir)
    port = free_port()
    process = subprocess.Popen(
        training.rasa_command(
            "run",
            "--model",
            str(bare_model),
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--credentials",
            str(bare_dir / "credentials.yml"),
            "--endpoints",
            str(bare_dir / "endpoints.yml"),
        ),
        cwd=paths.ROOT,
        env=training.rasa_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_answer(f"http://127.0.0.1:{port}", process=process)
        bare_alone, bare = play("Rasa nu", f"http://127.0.0.1:{port}", people, {"rasa": process.pid})
    finally:
        process.terminate()
        process.wait(timeout=30)

    ours_training = train_ours_from_scratch(work / "ours")
    ratio = _ratio(ours, bare)
    lines += [
        "",
        "| | messages | erreurs | msg/s | p50 ms | p95 ms | p99 ms | mémoire max (Mo) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in (ours, bare, ours_alone, bare_alone):
        memory = ", ".join(f"{k} {v:.0f}" for k, v in result.peak_rss_mb.items()) or "—"
        lines.append(
            f"| {result.label} | {len(result.latencies_ms)} | {result.errors} | {result.throughput:.1f} | "
            f"{result.percentile(50):.0f} | {result.percentile(95):.0f} | {result.percentile(99):.0f} | "
            f"{memory} |"
        )
    lines += [
        "",
        f"- p95 ratio, ours / bare Rasa: **{ratio:.2f}** (goal ≤ 1.5 at 20 conversations, zero errors)",
        f"- the same ratio with one conversation at a time: {_ratio(ours_alone, bare_alone):.2f}",
        "- CPU time per message, one conversation at a time (less sensitive than latency to other jobs on the "
        f"machine): ours {_cpu(ours_alone)}; bare Rasa {_cpu(bare_alone)}",
        f"- cold start of the servers to the first answer (model already trained): {cold_start:.0f} s",
        f"- training of our model from scratch (empty component cache, as on a fresh install): {ours_training:.0f} s",
        f"- training of the bare model (same NLU pipeline, component cache warm): {bare_training:.0f} s",
        f"- model size: {model.stat().st_size / 1e6:.1f} MB ({model.name})",
        "",
        "What the ratio measures: our turns run custom actions (an HTTP call to the action server and",
        "database writes for the dossier), read and write the conversation in the SQL tracker store",
        "and run the dialogue policies, where the bare server only utters a canned response from its",
        "rules; the NLU pipeline is the same. Both servers are warmed up first (one conversation per",
        "script, not counted). On a 2-core machine both servers and the load generator share the CPUs,",
        "so absolute figures are pessimistic; compare runs on the same machine only. Where the time",
        "goes: docs/reliability.md.",
    ]
    return _write_section("# Benchmark (`make bench`)", lines)


def _cpu(result: LoadResult | None) -> str:
    cpu = result.cpu_ms_per_message if result is not None else {}
    return ", ".join(f"{name} {ms:.1f} ms" for name, ms in cpu.items()) or "—"


def _ratio(ours: LoadResult, bare: LoadResult) -> float:
    return ours.percentile(95) / bare.percentile(95) if bare.percentile(95) else float("nan")
