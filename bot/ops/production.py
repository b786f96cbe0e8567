"""`make run-prod`: Rasa's own scale-out model on this machine.

Several Rasa servers share the PostgreSQL tracker store and a Redis lock store (so two messages
of one conversation are never processed at once, whichever server gets them); several action
servers; the web app with several workers; nginx in front on one public port, routing the REST
webhook, socket.io (sticky per browser) and the web app. Configuration by environment only:

    DATABASE_URL   postgresql://…   (required: SQLite cannot be shared by several servers)
    REDIS_URL      redis://127.0.0.1:6379/0   (with a password: redis://:password@host:6379/0)
    PUBLIC_PORT    8080       RASA_SERVERS 2     ACTION_SERVERS 2     WEB_WORKERS 2

Ports, all derived from four settings so that the defaults never overlap (checked before anything
starts, bot/ops/production.py:check_layout): PUBLIC_PORT (nginx, public), PUBLIC_PORT+1 and +2 (nginx's
load balancers for Rasa's HTTP API and for the action servers, loopback), RASA_PORT… (one per Rasa
server), ACTION_PORT… (one per action server), WEB_PORT (the web app, all its workers).

A process that dies is restarted with back-off (bot/ops/restarts.py); only a crash loop stops the
deployment. GET /ready on the public port says whether the deployment can answer.

deploy/ holds the nginx template, the Rasa endpoints and an example of the same layout on
several machines (docs/scaling.md).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

import requests

from bot import log_redaction, paths
from bot.ops import restarts, supervisor, training
from bot.settings import Settings, database_dialect, require_publisher, require_strong_secrets
from bot.web import readiness

DEPLOY = paths.ROOT / "deploy"
# Rasa, the action servers, the web app and nginx's two load balancers listen here, whatever the
# public bind: a REST call straight to a Rasa server would skip nginx's limits and the public token.
# Only nginx's public port follows PUBLIC_BIND_HOST.
INTERNAL_HOST = "127.0.0.1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# set by nginx on what comes through its public port: the web app gives no details there (/ready)
PUBLIC_REQUEST_HEADER = readiness.PUBLIC_REQUEST_HEADER
# a restarted Rasa server loads TensorFlow and its model at this lower CPU priority, so the server
# still serving alone keeps the CPU it needs (restored when the new one answers)
RESTART_NICENESS = 10


@dataclass(frozen=True)
class Layout:
    settings: Settings
    public_port: int
    rasa_ports: tuple[int, ...]
    action_ports: tuple[int, ...]
    actions_port: int  # nginx's load balancer in front of the action servers (loopback)
    rasa_api_port: int  # nginx's load balancer in front of the Rasa servers' HTTP API (loopback, for the web app)
    web_workers: int
    redis_url: str
    run_dir: Path
    public_host: str = "127.0.0.1"  # where nginx's public port listens (PUBLIC_BIND_HOST)

    @property
    def public_url(self) -> str:
        """The public port as this machine reaches it."""
        host = INTERNAL_HOST if self.public_host in ("0.0.0.0", "::", "") else self.public_host
        return f"http://{host}:{self.public_port}"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw or default)
    except ValueError:
        raise LayoutError(f"{name} must be a whole number, got {raw!r}.") from None


def layout_from_environment(settings: Settings) -> Layout:
    public_port = _int("PUBLIC_PORT", 8080)
    rasa_servers, action_servers = _int("RASA_SERVERS", 2), _int("ACTION_SERVERS", 2)
    if rasa_servers < 1 or action_servers < 1:
        raise LayoutError("RASA_SERVERS and ACTION_SERVERS must be 1 or more.")
    return Layout(
        settings=settings,
        public_port=public_port,
        rasa_ports=tuple(settings.rasa_port + i for i in range(rasa_servers)),
        action_ports=tuple(settings.action_port + i for i in range(action_servers)),
        # the load balancers sit next to the public port, away from the servers' ranges: with the
        # defaults, 8081 and 8082 (RASA_PORT+50 was 5055, ACTION_PORT's default: nothing started)
        rasa_api_port=public_port + 1,
        actions_port=public_port + 2,
        web_workers=_int("WEB_WORKERS", 2),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        run_dir=settings.var_dir / "prod",
        public_host=settings.public_bind_host,
    )


class LayoutError(ValueError):
    """The layout cannot start: two ports collide, one is out of range or already taken."""


def _offset(setting: str, index: int) -> str:
    return setting if index == 0 else f"{setting}+{index}"


def named_ports(layout: Layout) -> list[tuple[str, int]]:
    """Every port of the layout with the setting it comes from, as layout_from_environment derives it."""
    return [
        ("PUBLIC_PORT (nginx, public)", layout.public_port),
        ("PUBLIC_PORT+1 (nginx, load balancer for Rasa's HTTP API)", layout.rasa_api_port),
        ("PUBLIC_PORT+2 (nginx, load balancer for the action servers)", layout.actions_port),
        ("WEB_PORT (web app)", layout.settings.web_port),
        *(
            (f"{_offset('RASA_PORT', i)} (Rasa server rasa-{i}, RASA_SERVERS={len(layout.rasa_ports)})", port)
            for i, port in enumerate(layout.rasa_ports)
        ),
        *(
            (f"{_offset('ACTION_PORT', i)} (action server actions-{i}, ACTION_SERVERS={len(layout.action_ports)})", port)
            for i, port in enumerate(layout.action_ports)
        ),
    ]


def check_layout(layout: Layout) -> None:
    """Every port in range and used once, before anything starts; else say which two settings collide."""
    seen: dict[int, str] = {}
    for name, port in named_ports(layout):
        if not 1 <= port <= 65535:
            raise LayoutError(f"{name} is {port}: a port is between 1 and 65535.")
        if port in seen:
            raise LayoutError(f"Port {port} is used twice: by {seen[port]} and by {name}. " "Change one of these two settings.")
        seen[port] = name
    real_ip_from(layout.settings.trusted_proxies)  # TRUSTED_PROXIES goes into nginx's configuration


def check_ports_free(layout: Layout) -> None:
    """Every port can be bound now: else name every setting whose port another program holds, so
    that one message says all there is to free."""
    busy = []
    for name, port in named_ports(layout):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
            try:
                probe.bind((layout.public_host if port == layout.public_port else INTERNAL_HOST, port))
            except OSError as exc:
                busy.append(f"Port {port} ({name}) is already in use ({exc.strerror})")
    if busy:
        raise LayoutError(
            "; ".join(busy) + ": stop the program that holds it (another make run or run-prod?) or change that setting."
        )


def check_services(layout: Layout) -> None:
    """PostgreSQL and Redis must answer; say how to get them otherwise."""
    import redis
    from sqlalchemy import text

    from bot.store import db

    if database_dialect(layout.settings.database_url) != "postgresql":
        raise SystemExit(
            "make run-prod needs PostgreSQL: set DATABASE_URL=postgresql://user@host:5432/db "
            "(several Rasa servers cannot share the embedded SQLite file)."
        )
    try:
        with db.engine_for(layout.settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise SystemExit(
            f"PostgreSQL does not answer at DATABASE_URL ({exc.__class__.__name__}). Start it with: "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from exc
    try:
        redis.Redis.from_url(layout.redis_url, socket_timeout=3).ping()
    except Exception as exc:
        raise SystemExit(
            f"Redis does not answer at {layout.redis_url}. Start it with: redis-server --daemonize yes "
            "--bind 127.0.0.1 --port 6379 --save '' --appendonly no"
        ) from exc
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is missing: apt-get install nginx-light (or nginx)")


def rasa_environment(layout: Layout) -> dict[str, str]:
    redis_url = urlsplit(layout.redis_url)
    return {
        "ACTION_ENDPOINT_URL": f"http://{INTERNAL_HOST}:{layout.actions_port}/webhook",
        "ACTION_SERVER_TOKEN": layout.settings.action_server_token,
        "REDIS_HOST": redis_url.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis_url.port or 6379),
        "REDIS_DB": (redis_url.path or "/0").lstrip("/") or "0",
        # the lock store's password (deploy/endpoints.prod.yml), from REDIS_URL's `redis://:password@…`;
        # empty: a Redis without one (redis-py sends no AUTH for an empty password)
        "REDIS_PASSWORD": unquote(redis_url.password or ""),
        "REDIS_KEY_PREFIX": "mediation",
        # a server that dies while holding a conversation's lock blocks that conversation until
        # the lock lapses: 5 s rather than Rasa's 60; a live holder's heartbeat keeps its lock
        # through a longer turn (bot/rasa_extensions/lock_store.py)
        "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "5"),
        # socket.io events reach the person's socket whichever server produced them (live handover)
        "SOCKETIO_REDIS_URL": layout.redis_url,
        # rate limits counted across the servers (bot/rate_limits.py)
        "RATE_LIMIT_REDIS_URL": layout.redis_url,
        # the Rasa servers believe X-Real-IP from nginx alone (loopback); TRUSTED_PROXIES is the TLS
        # proxy in front of nginx, whose X-Forwarded-For nginx believes (nginx.conf.template)
        "TRUSTED_PROXIES": ",".join(LOOPBACK_PROXIES),
    }


def _upstream_servers(addresses) -> str:
    # a server that fails is left out for 5 s, then tried again (it may have been restarted)
    return " ".join(f"server {address} max_fails=1 fail_timeout=5s;" for address in addresses)


# what nginx's servers behind it believe: nginx itself, on loopback (the TLS proxy in front is
# TRUSTED_PROXIES, which nginx alone believes)
LOOPBACK_PROXIES = ("127.0.0.1", "::1")
# deploy/docker-compose.example.yml: the TLS proxy and nginx reach each other over the compose network
COMPOSE_PROXIES = ("127.0.0.1", "::1", "172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8")


def real_ip_from(trusted_proxies) -> str:
    """nginx's `set_real_ip_from` lines: whose X-Forwarded-For names the client (TRUSTED_PROXIES).
    Each entry must be an address or a network: nothing else reaches nginx's configuration."""
    lines = []
    for entry in trusted_proxies:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise LayoutError(f"TRUSTED_PROXIES: {entry!r} is not an address or a network (e.g. 10.0.0.0/8).") from None
        lines.append(f"set_real_ip_from {network};")
    return " ".join(lines) or "# no trusted proxy: every peer is the client"


def render_nginx(
    *,
    run_dir,
    error_log,
    access_log,
    listen_host: str,
    internal_host: str,
    public_port: int,
    rasa_api_port: int,
    actions_port: int,
    web_server: str,
    rasa_servers,
    action_servers,
    trusted_proxies=LOOPBACK_PROXIES,
) -> str:
    return (
        (DEPLOY / "nginx.conf.template")
        .read_text()
        .format(
            run_dir=run_dir,
            error_log=error_log,
            access_log=access_log,
            listen_host=listen_host,
            internal_host=internal_host,
            public_port=public_port,
            public_request_header=PUBLIC_REQUEST_HEADER,
            rasa_api_port=rasa_api_port,
            actions_port=actions_port,
            web_server=web_server,
            rasa_servers=_upstream_servers(rasa_servers),
            action_servers=_upstream_servers(action_servers),
            real_ip_from=real_ip_from(trusted_proxies),
            logged_uri_map=log_redaction.nginx_logged_uri_map(),
        )
    )


def nginx_config(layout: Layout) -> Path:
    host = INTERNAL_HOST
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    config = render_nginx(
        run_dir=layout.run_dir,
        error_log="stderr",  # through the supervisor's masking log writer: see nginx_command
        access_log=layout.run_dir / "nginx-access.log",
        listen_host=layout.public_host,
        internal_host=host,
        public_port=layout.public_port,
        rasa_api_port=layout.rasa_api_port,
        actions_port=layout.actions_port,
        web_server=f"{host}:{layout.settings.web_port}",
        rasa_servers=[f"{host}:{p}" for p in layout.rasa_ports],
        action_servers=[f"{host}:{p}" for p in layout.action_ports],
        trusted_proxies=layout.settings.trusted_proxies,  # the TLS proxy in front
    )
    path = layout.run_dir / "nginx.conf"
    path.write_text(config)
    return path


def nginx_command(run_dir: Path, config: Path) -> list[str]:
    """nginx in the foreground, its error log on stderr from its first line on (`-e stderr`, before
    the configuration is read; `error_log stderr` after). The supervisor copies it into
    logs/nginx.log with the secrets of secret links masked (bot/ops/log_files.py): when an upstream
    fails, nginx writes the request line there (`request: "GET /rendez-vous/<token> HTTP/1.1"`),
    which its access log's `$logged_uri` map cannot mask."""
    return ["nginx", "-e", "stderr", "-p", str(run_dir), "-c", str(config), "-g", "daemon off;"]


def compose_nginx_config() -> str:
    """deploy/nginx.compose.conf: the same template for the services of deploy/docker-compose.example.yml
    (`python -m bot.ops.production compose-nginx > deploy/nginx.compose.conf` after changing the template)."""
    return render_nginx(
        run_dir="/tmp",
        error_log="/dev/stderr",
        access_log="/dev/stdout",
        listen_host="0.0.0.0",
        internal_host="0.0.0.0",  # the compose network: only 8080 is published (ports:)
        public_port=8080,
        rasa_api_port=8081,
        actions_port=8082,
        web_server="web:8000",
        rasa_servers=["rasa-0:5005", "rasa-1:5005"],
        action_servers=["actions-0:5055", "actions-1:5055"],
        trusted_proxies=COMPOSE_PROXIES,
    )


def rasa_server_command(layout: Layout, model: Path, port: int) -> list[str]:
    return supervisor.rasa_run_command(  # the token comes from RASA_TOKEN, not the command line
        "--model",
        str(model),
        "--enable-api",
        "--interface",
        INTERNAL_HOST,
        "--port",
        str(port),
        "--endpoints",
        str(DEPLOY / "endpoints.prod.yml"),
        "--credentials",
        str(paths.CREDENTIALS),
    )


def _answers(url: str, model_loaded: bool = False) -> bool:
    try:
        response = requests.get(url, timeout=2)
        return response.status_code == 200 and (not model_loaded or bool(response.json().get("model_file")))
    except (requests.RequestException, ValueError):
        return False


def probes(layout: Layout) -> dict[str, Callable[[], bool]]:
    """For every process: does it answer (a Rasa server: with its model loaded)?"""
    settings, host = internal(layout.settings), INTERNAL_HOST
    checks: dict[str, Callable[[], bool]] = {}
    for i, port in enumerate(layout.action_ports):
        checks[f"actions-{i}"] = lambda p=port: _answers(f"http://{host}:{p}/health")
    checks["web"] = lambda: supervisor.web_server_ready(settings)
    for i, port in enumerate(layout.rasa_ports):
        url = f"http://{host}:{port}/status?token={settings.rasa_token}"
        checks[f"rasa-{i}"] = lambda u=url: _answers(u, model_loaded=True)
    checks["nginx"] = lambda: _answers(f"{layout.public_url}/healthz")
    return checks


def internal(settings: Settings) -> Settings:
    """The settings the servers behind nginx run with: on loopback, whatever BIND_HOST says."""
    return dataclasses.replace(settings, bind_host=INTERNAL_HOST)


def server_commands(layout: Layout, model: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Every process of the deployment, in starting order: its command and the environment it adds
    to supervisor.server_environment(internal(settings))."""
    settings, host = internal(layout.settings), INTERNAL_HOST
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    for i, port in enumerate(layout.action_ports):
        commands[f"actions-{i}"] = (
            [sys.executable, "-m", "bot.rasa_extensions.action_server", "--actions", "actions", "--port", str(port)],
            {"ACTION_REPLAY_REDIS_URL": layout.redis_url, "RATE_LIMIT_REDIS_URL": layout.redis_url},  # limits across servers
        )
    for i, port in enumerate(layout.rasa_ports):
        commands[f"rasa-{i}"] = (rasa_server_command(layout, model, port), rasa_environment(layout))
    commands["web"] = (
        [
            *supervisor.web_server_command(settings),
            "--workers",
            str(layout.web_workers),
            "--proxy-headers",
            "--forwarded-allow-ips",  # X-Forwarded-For from nginx only (on loopback), which writes it
            ",".join(LOOPBACK_PROXIES),
        ],
        {
            "TRUSTED_PROXIES": ",".join(LOOPBACK_PROXIES),
            "RASA_API_URL": f"http://{host}:{layout.rasa_api_port}",
            # /ready checks these (bot/web/readiness.py)
            "ACTIONS_HEALTH_URL": f"http://{host}:{layout.actions_port}/health",
            "REDIS_URL": layout.redis_url,
        },
    )
    commands["nginx"] = (nginx_command(layout.run_dir, nginx_config(layout)), {})
    return commands


def start(layout: Layout, model: Path, timeout: float = 300.0) -> supervisor.ServerGroup:
    group = supervisor.ServerGroup(settings=internal(layout.settings), log_dir=layout.run_dir / "logs")
    try:
        for name, (command, extra_env) in server_commands(layout, model).items():
            group.start(name, command, extra_env=extra_env)
        ready = probes(layout)
        for name in [
            *(f"actions-{i}" for i in range(len(layout.action_ports))),
            "web",
            *(f"rasa-{i}" for i in range(len(layout.rasa_ports))),
            "nginx",
        ]:
            group.wait_until(name, lambda _s, check=ready[name]: check(), 30 if name == "nginx" else timeout)
    except BaseException:
        group.stop()
        raise
    return group


def production_settings() -> Settings:
    """Settings for the production profile: the page reaches socket.io through nginx (same origin);
    served over HTTPS by a TLS proxy in front unless PUBLIC_TLS=0 (secure cookies, HSTS); every
    server but nginx's public port on loopback (BIND_HOST other than loopback is refused: it
    would publish Rasa and the action servers; PUBLIC_BIND_HOST publishes nginx's port)."""
    from bot import settings as bot_settings

    bind_host = os.environ.get("BIND_HOST", "").strip()
    if bind_host and bind_host not in LOOPBACK_HOSTS:
        raise LayoutError(
            f"BIND_HOST={bind_host} would put Rasa, the action servers and the web app on the network, where "
            "a call skips nginx's limits and the public token: make run-prod keeps them on 127.0.0.1. "
            "Unset BIND_HOST, and set PUBLIC_BIND_HOST to publish nginx's public port."
        )
    os.environ.setdefault("PUBLIC_TLS", "1")
    os.environ.setdefault("PUBLIC_SOCKET_URL", "same-origin")
    public_port = _int("PUBLIC_PORT", 8080)
    extra = [f"http://localhost:{public_port}", f"http://127.0.0.1:{public_port}"]
    current = os.environ.get("WEB_ALLOWED_ORIGINS", "")
    os.environ["WEB_ALLOWED_ORIGINS"] = ",".join(filter(None, [current, *extra]))
    return internal(bot_settings.load())


def transport_line(settings: Settings, layout: Layout) -> str:
    """How people are expected to reach the public port, said at start-up."""
    where = (
        f"nginx's public port listens on {layout.public_host}:{layout.public_port} (PUBLIC_BIND_HOST); "
        f"every other server on {INTERNAL_HOST}."
    )
    if settings.public_tls:
        return f"{where} Served over HTTPS by a proxy in front (PUBLIC_TLS=1): secure cookies and HSTS; PUBLIC_TLS=0 if not."
    return f"{where} PUBLIC_TLS=0: plain HTTP, console cookies not marked Secure, no HSTS."


def _say(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


def restarter(group: supervisor.ServerGroup, layout: Layout, say: Callable[[str], None]) -> restarts.Restarter:
    """What keeps run-prod's processes running (bot/ops/restarts.py); `make bench-prod` uses it too."""
    return restarts.Restarter(
        group,
        probes(layout),
        say=say,
        state_path=layout.run_dir / "state.json",
        loading_niceness={name: RESTART_NICENESS for name in group.processes if name.startswith("rasa-")},
    )


def run_forever() -> int:
    from bot.ops.store_cli import prepare_database

    try:
        settings = production_settings()
        require_strong_secrets(settings)  # raises WeakSecret, naming the variable
        require_publisher(settings)  # the privacy and legal notices need who publishes the service
        layout = layout_from_environment(settings)
        check_layout(layout)
        check_ports_free(layout)
    except LayoutError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    check_services(layout)
    prepare_database(settings)
    model = training.ensure_model()
    print(
        f"Starting {len(layout.rasa_ports)} Rasa servers, {len(layout.action_ports)} action servers, "
        f"the web app ({layout.web_workers} workers) and nginx…",
        flush=True,
    )
    print(transport_line(settings, layout), flush=True)
    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))  # like Ctrl-C: stop everything
    try:
        group = start(layout, model)
    except supervisor.StartupError as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    keeper = restarter(group, layout, say=_say)
    print(
        f"\nReady on {layout.public_url} (console: {layout.public_url}/mediateurs, readiness: "
        f"{layout.public_url}/ready). Logs: {group.log_dir}\nState: {keeper.state_path}\n"
        "A process that dies is restarted; press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while not stop_requested:
            keeper.tick()
            time.sleep(0.5)
        return 0
    except restarts.CrashLoop as exc:
        print(f"Stopping: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping…", flush=True)
        group.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["compose-nginx"]:
    print(compose_nginx_config(), end="")
