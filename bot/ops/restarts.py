"""Keep `make run-prod`'s processes running: one that dies is restarted with back-off while the
others go on serving; only a crash loop (the same process crashing again and again) stops the
deployment. `make run` does not use this: for a developer, one dead server stops everything.

The state (pid, status, restarts of every process) is written to a JSON file at each change, for
an operator or a test to read (`var/prod/state.json`).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.ops.supervisor import ServerGroup


@dataclass(frozen=True)
class Policy:
    first_delay: float = 1.0  # seconds before the first restart; doubled at each crash in the window
    max_delay: float = 30.0
    loop_crashes: int = 5  # this many crashes of one process…
    loop_window: float = 300.0  # …within this many seconds is a crash loop


class CrashLoop(RuntimeError):
    pass


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class _Watch:
    crashes: deque = field(default_factory=deque)  # times of the crashes within the window
    restarts: int = 0
    down_since: float | None = None  # died, not answering again yet
    restart_at: float | None = None  # scheduled restart (back-off)
    last_exit: str = ""
    status: str = "running"  # running | waiting (back-off) | starting (restarted, not ready yet)


class Restarter:
    """Call tick() regularly; it restarts what died and raises CrashLoop when one keeps dying."""

    def __init__(
        self,
        group: ServerGroup,
        probes: dict[str, Callable[[], bool]],
        policy: Policy = Policy(),  # noqa: B008 (frozen)
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] = print,
        state_path: Path | None = None,
        loading_niceness: dict[str, int] | None = None,
    ):
        """`loading_niceness`: processes restarted at a lower CPU priority until their probe answers
        (a Rasa server loading TensorFlow and its model would otherwise take the CPU from the one
        still serving alone)."""
        self.group, self.probes, self.policy = group, probes, policy
        self.loading_niceness = loading_niceness or {}
        self.clock, self.say, self.state_path = clock, say, state_path
        self.watches = {name: _Watch() for name in group.processes}
        self._write_state()

    def tick(self) -> None:
        changed = False
        for name, process in self.group.processes.items():
            watch = self.watches.setdefault(name, _Watch())
            now = self.clock()
            if watch.restart_at is None and process.poll() is not None:
                self._died(name, process, watch, now)
                changed = True
            elif watch.restart_at is not None and now >= watch.restart_at:
                watch.restart_at, watch.status = None, "starting"
                watch.restarts += 1
                niceness = self.loading_niceness.get(name, 0)
                pid = self.group.restart(name, niceness=niceness)
                lower = ", at lower priority until it answers" if niceness else ""
                self.say(f"{name} restarted (pid {pid}, restart {watch.restarts}{lower})")
                changed = True
            elif watch.status == "starting" and self.probes.get(name, lambda: True)():
                watch.status = "running"
                if self.loading_niceness.get(name) and not self.group.set_priority(name, 0):
                    self.say(f"{name} keeps its lower priority (raising it back needs root)")
                self.say(f"{name} answers again, {now - watch.down_since:.1f} s after it died")
                watch.down_since = None
                changed = True
        if changed:
            self._write_state()

    def _died(self, name: str, process, watch: _Watch, now: float) -> None:
        watch.last_exit = describe_exit(process.returncode)
        self.group.reap(name)
        watch.crashes.append(now)
        while watch.crashes and now - watch.crashes[0] > self.policy.loop_window:
            watch.crashes.popleft()
        log = self.group.log_dir / f"{name}.log"
        if len(watch.crashes) >= self.policy.loop_crashes:
            watch.status = "crash loop"
            self._write_state()
            raise CrashLoop(
                f"{name} crashed {len(watch.crashes)} times within {self.policy.loop_window:.0f} s "
                f"(last: {watch.last_exit}): a crash loop, so the deployment stops. See {log}"
            )
        delay = min(self.policy.max_delay, self.policy.first_delay * 2 ** (len(watch.crashes) - 1))
        if watch.down_since is None:
            watch.down_since = now
        watch.restart_at, watch.status = now + delay, "waiting"
        self.say(
            f"{name} (pid {process.pid}) died ({watch.last_exit}); the others keep serving; "
            f"restart in {delay:.0f} s. See {log}"
        )

    def state(self) -> dict:
        return {
            "supervisor_pid": os.getpid(),
            "processes": {
                name: {
                    "pid": self.group.processes[name].pid,
                    "status": watch.status,
                    "restarts": watch.restarts,
                    "last_exit": watch.last_exit,
                }
                for name, watch in self.watches.items()
            },
        }

    def _write_state(self) -> None:
        if self.state_path is None:
            return
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state(), indent=2))
        temporary.replace(self.state_path)  # readers never see half a file
