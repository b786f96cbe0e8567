"""Start the action server, the Rasa server and the web app; wait until all answer; stop all cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import paths
from bot.ops import log_files, training
from bot.settings import Settings


def free_port() -> int:
    """A TCP port free on loopback right now (tests and the benchmark start servers on them)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StartupError(RuntimeError):
    pass


def action_server_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.rasa_extensions.action_server",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]


def rasa_run_command(*args: str) -> list[str]:
    """`rasa run <args>` with the HTTP API token from RASA_TOKEN (server_environment), not on the
    command line, where ps would show it (bot/rasa_extensions/rasa_server.py)."""
    return [sys.executable, "-m", "bot.rasa_extensions.rasa_server", "run", *args]


def rasa_server_command(settings: Settings, model: Path) -> list[str]:
    return rasa_run_command(
        "--model",
        str(model),
        "--enable-api",
        "--interface",
        settings.bind_host,
        "--port",
        str(settings.rasa_port),
        "--endpoints",
        str(paths.ENDPOINTS),
        "--credentials",
        str(paths.CREDENTIALS),
    )


def web_server_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bot.web.app:create_app",
        "--host",
        settings.bind_host,
        "--port",
        str(settings.web_port),
        "--no-server-header",
        "--ws",
        "none",  # no websocket here (the chat uses Rasa's socket.io); Rasa pins an older websockets
    ]


def server_environment(settings: Settings) -> dict[str, str]:
    env = training.rasa_env()
    env.update(settings.rasa_environment())
    env["SANIC_HOST"] = settings.bind_host  # the action server's bind address
    env["DATABASE_URL"] = settings.database_url  # the actions write the dossiers there
    # the website channel (inside the Rasa server) and the web app share these
    env["BOT_VAR_DIR"] = str(settings.var_dir)
    env["BIND_HOST"] = settings.bind_host
    env["RASA_PORT"] = str(settings.rasa_port)
    env["CONVERSATION_SECRET"] = settings.conversation_secret
    env["WEB_PORT"] = str(settings.web_port)
    env["WEB_ALLOWED_ORIGINS"] = ",".join(settings.allowed_origins)
    env["PUBLIC_SOCKET_URL"] = settings.public_socket_url
    env["SESSION_SECRET"] = settings.session_secret or settings.conversation_secret + "-console"
    env["CLAIM_LEASE_MINUTES"] = str(settings.claim_lease_minutes)
    # live handover: the web app writes into conversations through Rasa's HTTP API
    env["RASA_TOKEN"] = settings.rasa_token
    env["LIVE_PICKUP_SECONDS"] = str(settings.live_pickup_seconds)
    env["PRESENCE_IDLE_MINUTES"] = str(settings.presence_idle_minutes)
    env["SECURE_COOKIES"] = "1" if settings.secure_cookies else ""
    # rate limits and the public REST webhook (bot/rate_limits.py, bot/channels/rest.py)
    env["RATE_LIMIT_CONVERSATION_PER_MINUTE"] = str(settings.conversation_messages_per_minute)
    env["RATE_LIMIT_CLIENT_PER_MINUTE"] = str(settings.client_messages_per_minute)
    env["RATE_LIMIT_HANDOVERS_PER_HOUR"] = str(settings.client_handovers_per_hour)
    env["TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    env["PUBLIC_REST_WEBHOOK_TOKEN"] = settings.public_rest_token
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.ROOT), env.get("PYTHONPATH")]))
    return env


def action_server_ready(settings: Settings) -> bool:
    try:
        url = f"http://{settings.bind_host}:{settings.action_port}/health"
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def web_server_ready(settings: Settings) -> bool:
    try:
        return requests.get(f"{settings.web_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def rasa_server_ready(settings: Settings) -> bool:
    """Ready means the model is loaded, which /status (token required) tells."""
    try:
        response = requests.get(f"{settings.rasa_url}/status", params={"token": settings.rasa_token}, timeout=2)
        return response.status_code == 200 and bool(response.json().get("model_file"))
    except (requests.RequestException, ValueError):
        return False


@dataclass
class ServerGroup:
    """Child processes started together and stopped together (and restarted one by one, make run-prod)."""

    settings: Settings
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], extra_env: dict[str, str] | None = None, niceness: int = 0) -> None:
        """Start `name`; with `niceness` > 0 it runs at that lower CPU priority (see set_priority)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.commands[name] = (command, dict(extra_env or {}))
        log = log_files.RotatingLog(self.log_dir / f"{name}.log")  # rotated past 10 MB, 5 kept
        log.start()
        try:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=paths.ROOT,
                env={**server_environment(self.settings), **(extra_env or {})},
                stdout=log.write_fd,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children ourselves
                preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
            )
        finally:
            log.child_started()

    def reap(self, name: str) -> None:
        """After the leader died: kill what is left of its process group (uvicorn's or nginx's workers
        would keep the port)."""
        try:
            os.killpg(self.processes[name].pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def restart(self, name: str, niceness: int = 0) -> int:
        """Start a dead process again with the same command and environment; its new pid."""
        self.reap(name)
        command, extra_env = self.commands[name]
        self.start(name, command, extra_env, niceness=niceness)
        return self.processes[name].pid

    def set_priority(self, name: str, niceness: int) -> bool:
        """Set the CPU priority of every thread of `name` (on Linux a priority is per thread, and a
        thread inherits its creator's); False where the system refuses (raising a priority back
        needs root or CAP_SYS_NICE: the process then stays at its lower priority)."""
        pid = self.processes[name].pid
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")] if os.path.isdir(f"/proc/{pid}/task") else [pid]
        try:
            for thread in threads:
                os.setpriority(os.PRIO_PROCESS, thread, niceness)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def wait_until(self, name: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise StartupError(f"{name} exited early; see {self.log_dir / (name + '.log')}")
            if ready(self.settings):
                return
            time.sleep(0.5)
        raise StartupError(f"{name} not ready after {timeout:.0f} s; see {self.log_dir / (name + '.log')}")

    def first_exited(self) -> str | None:
        return next((n for n, p in self.processes.items() if p.poll() is not None), None)

    def stop(self, grace: float = 15.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self.reap(name)  # workers left by a leader that died first


def start_servers(settings: Settings, model: Path, timeout: float = 240.0, rasa_env: dict[str, str] | None = None) -> ServerGroup:
    """The action server, the Rasa server and the web app, ready; `rasa_env` adds to the Rasa
    server's environment (tests: its action calls through a proxy)."""
    group = ServerGroup(settings=settings, log_dir=settings.var_dir / "logs")
    try:
        group.start("actions", action_server_command(settings))
        group.start("rasa", rasa_server_command(settings, model), extra_env=rasa_env)
        group.start("web", web_server_command(settings))
        group.wait_until("actions", action_server_ready, timeout)
        group.wait_until("web", web_server_ready, timeout)
        group.wait_until("rasa", rasa_server_ready, timeout)
    except BaseException:
        group.stop()
        raise
    return group


def run_forever(settings: Settings, model: Path) -> int:
    """`bot run`: serve until Ctrl-C (or until a server dies), then stop everything."""
    stop_requested = False
    starting = True

    def request_stop(signum, frame):
        nonlocal stop_requested
        stop_requested = True
        if starting:  # interrupt the start-up; start_servers stops what it started
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print("Starting the action server, the Rasa server and the web app…", flush=True)
    try:
        group = start_servers(settings, model)
    except StartupError as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped before start-up finished.")
        return 0
    starting = False
    print(
        f"\nReady.\n"
        f"  Website chat:  http://localhost:{settings.web_port}  (open it in a browser)\n"
        f"  Console:       http://localhost:{settings.web_port}/mediateurs"
        f"  (demo logins: {settings.var_dir / 'demo_accounts.txt'})\n"
        f"  Rasa server:   {settings.rasa_url}  (REST webhook: POST {settings.rasa_url}/webhooks/rest/webhook)\n"
        f"  Action server: http://{settings.bind_host}:{settings.action_port}\n"
        f"  Try: curl -s {settings.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' "
        f"-d '{{\"sender\": \"essai\", \"message\": \"bonjour\"}}'\n"
        f"  HTTP API token: in $RASA_TOKEN or {settings.var_dir / 'rasa_token'}\n"
        f"  Logs: {group.log_dir}\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    exited = None
    while not stop_requested and exited is None:
        time.sleep(0.5)
        exited = group.first_exited()
    print("\nStopping…", flush=True)
    group.stop()
    if exited:
        print(f"{exited} stopped unexpectedly; see {group.log_dir / (exited + '.log')}", file=sys.stderr)
        return 1
    print("Stopped.")
    return 0


def run_shell(settings: Settings, model: Path) -> int:
    """`bot shell`: the action server in the background, Rasa's terminal chat in the foreground."""
    group = ServerGroup(settings=settings, log_dir=settings.var_dir / "logs")
    try:
        group.start("actions", action_server_command(settings))
        group.wait_until("actions", action_server_ready, 120)
        command = training.rasa_command(
            "shell",
            "--model",
            str(model),
            "--endpoints",
            str(paths.ENDPOINTS),
            "--interface",
            settings.bind_host,
            "--port",
            str(settings.rasa_port),
        )
        return subprocess.call(command, cwd=paths.ROOT, env=server_environment(settings))
    except StartupError as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        group.stop()
