"""`make run-prod`: Rasa's own scale-out model on this machine.

Several Rasa servers share the PostgreSQL tracker store and a Redis lock store (so two messages
of one conversation are never processed at once, whichever server gets them); several action
servers; the web app with several workers; nginx in front on one public port, routing the REST
webhook, socket.io (sticky per browser) and the web app. Configuration by environment only:

    DATABASE_URL   postgresql://…   (required: SQLite cannot be shared by several servers)
    REDIS_URL      redis://127.0.0.1:6379/0
    PUBLIC_PORT    8080       RASA_SERVERS 2     ACTION_SERVERS 2     WEB_WORKERS 2

deploy/ holds the nginx template, the Rasa endpoints and an example of the same layout on
several machines (docs/scaling.md).
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bot import paths, supervisor, training
from bot.settings import Settings, database_dialect

DEPLOY = paths.ROOT / "deploy"


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

    @property
    def public_url(self) -> str:
        return f"http://{self.settings.bind_host}:{self.public_port}"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


def layout_from_environment(settings: Settings) -> Layout:
    public_port = _int("PUBLIC_PORT", 8080)
    rasa_servers, action_servers = _int("RASA_SERVERS", 2), _int("ACTION_SERVERS", 2)
    base = settings.rasa_port
    return Layout(
        settings=settings,
        public_port=public_port,
        rasa_ports=tuple(base + i for i in range(rasa_servers)),
        action_ports=tuple(settings.action_port + i for i in range(action_servers)),
        actions_port=settings.action_port + 50,
        rasa_api_port=base + 50,
        web_workers=_int("WEB_WORKERS", 2),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        run_dir=settings.var_dir / "prod",
    )


def check_services(layout: Layout) -> None:
    """PostgreSQL and Redis must answer; say how to get them otherwise."""
    import redis
    from sqlalchemy import text

    from bot.store import db

    if database_dialect(layout.settings.database_url) != "postgresql":
        raise SystemExit("make run-prod needs PostgreSQL: set DATABASE_URL=postgresql://user@host:5432/db "
                         "(several Rasa servers cannot share the embedded SQLite file).")
    try:
        with db.engine_for(layout.settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise SystemExit(f"PostgreSQL does not answer at DATABASE_URL ({exc.__class__.__name__}). Start it with: "
                         "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start") from exc
    try:
        redis.Redis.from_url(layout.redis_url, socket_timeout=3).ping()
    except Exception as exc:
        raise SystemExit(f"Redis does not answer at {layout.redis_url}. Start it with: redis-server --daemonize yes "
                         "--bind 127.0.0.1 --port 6379 --save '' --appendonly no") from exc
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is missing: apt-get install nginx-light (or nginx)")


def rasa_environment(layout: Layout) -> dict[str, str]:
    redis_url = urlsplit(layout.redis_url)
    return {
        "ACTION_ENDPOINT_URL": f"http://{layout.settings.bind_host}:{layout.actions_port}/webhook",
        "ACTION_SERVER_TOKEN": layout.settings.action_server_token,
        "REDIS_HOST": redis_url.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis_url.port or 6379),
        "REDIS_DB": (redis_url.path or "/0").lstrip("/") or "0",
        "REDIS_KEY_PREFIX": "mediation",
        # a server that dies while holding a conversation's lock blocks that conversation until
        # the lock lapses: 20 s rather than Rasa's 60 (a turn takes well under a second)
        "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "20"),
        # socket.io events reach the person's socket whichever server produced them (live handover)
        "SOCKETIO_REDIS_URL": layout.redis_url,
    }


def nginx_config(layout: Layout) -> Path:
    host = layout.settings.bind_host
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    config = (DEPLOY / "nginx.conf.template").read_text().format(
        run_dir=layout.run_dir, host=host, public_port=layout.public_port, web_port=layout.settings.web_port,
        actions_port=layout.actions_port, rasa_api_port=layout.rasa_api_port,
        rasa_servers=" ".join(f"server {host}:{p} max_fails=1 fail_timeout=5s;" for p in layout.rasa_ports),
        action_servers=" ".join(f"server {host}:{p};" for p in layout.action_ports),
    )
    path = layout.run_dir / "nginx.conf"
    path.write_text(config)
    return path


def rasa_server_command(layout: Layout, model: Path, port: int) -> list[str]:
    return training.rasa_command(
        "run", "--model", str(model), "--enable-api", "--auth-token", layout.settings.rasa_token,
        "--interface", layout.settings.bind_host, "--port", str(port),
        "--endpoints", str(DEPLOY / "endpoints.prod.yml"), "--credentials", str(paths.CREDENTIALS),
    )


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def start(layout: Layout, model: Path, timeout: float = 300.0) -> supervisor.ServerGroup:
    settings, host = layout.settings, layout.settings.bind_host
    group = supervisor.ServerGroup(settings=settings, log_dir=layout.run_dir / "logs")
    extra = rasa_environment(layout)
    try:
        for i, port in enumerate(layout.action_ports):
            group.start(f"actions-{i}", [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                                         "--port", str(port)])
        for i, port in enumerate(layout.rasa_ports):
            group.start(f"rasa-{i}", rasa_server_command(layout, model, port), extra_env=extra)
        group.start("web", [*supervisor.web_server_command(settings), "--workers", str(layout.web_workers),
                            "--proxy-headers"],
                    extra_env={"RASA_API_URL": f"http://{host}:{layout.rasa_api_port}"})
        group.start("nginx", ["nginx", "-p", str(layout.run_dir), "-c", str(nginx_config(layout)),
                              "-g", "daemon off;"])
        for i, port in enumerate(layout.action_ports):
            group.wait_until(f"actions-{i}", lambda _s, p=port: _answers(f"http://{host}:{p}/health"), timeout)
        group.wait_until("web", supervisor.web_server_ready, timeout)
        for i, port in enumerate(layout.rasa_ports):
            url = f"http://{host}:{port}/status?token={settings.rasa_token}"
            group.wait_until(f"rasa-{i}", lambda _s, u=url: _answers(u), timeout)
        group.wait_until("nginx", lambda _s: _answers(f"{layout.public_url}/healthz"), 30)
    except BaseException:
        group.stop()
        raise
    return group


def production_settings() -> Settings:
    """Settings for the production profile: the page reaches socket.io through nginx (same origin)."""
    from bot import settings as bot_settings

    os.environ.setdefault("PUBLIC_SOCKET_URL", "same-origin")
    public_port = _int("PUBLIC_PORT", 8080)
    extra = [f"http://localhost:{public_port}", f"http://127.0.0.1:{public_port}"]
    current = os.environ.get("WEB_ALLOWED_ORIGINS", "")
    os.environ["WEB_ALLOWED_ORIGINS"] = ",".join(filter(None, [current, *extra]))
    return bot_settings.load()


def run_forever() -> int:
    from bot.cli import prepare_database

    settings = production_settings()
    layout = layout_from_environment(settings)
    check_services(layout)
    prepare_database(settings)
    model = training.ensure_model()
    print(f"Starting {len(layout.rasa_ports)} Rasa servers, {len(layout.action_ports)} action servers, "
          f"the web app ({layout.web_workers} workers) and nginx…", flush=True)
    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))  # like Ctrl-C: stop everything
    group = start(layout, model)
    print(f"\nReady on {layout.public_url} (console: {layout.public_url}/mediateurs). Logs: {group.log_dir}\n"
          "Press Ctrl-C to stop.", flush=True)
    try:
        while group.first_exited() is None and not stop_requested:
            time.sleep(0.5)
        if stop_requested:
            return 0
        print(f"{group.first_exited()} stopped unexpectedly; see {group.log_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        group.stop()
