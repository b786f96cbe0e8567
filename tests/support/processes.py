"""The processes the servers start and their command lines: no secret in them; a production environment."""

from __future__ import annotations

from pathlib import Path

from bot import settings as bot_settings

# Who publishes the service: production refuses to start without it (bot/settings.py: require_publisher).
PUBLISHER_ENVIRONMENT = {
    "PUBLISHER_NAME": "Communauté de communes d'essai",
    "PUBLISHER_ADDRESS": "1 place de la Mairie, 01000 Essai",
    "PUBLICATION_DIRECTOR": "Camille Essai, présidente",
    "HOSTING_PROVIDER": "Hébergeur d'essai",
    "HOSTING_ADDRESS": "2 rue des Serveurs, 59000 Lille",
    "HOSTING_PHONE": "03 00 00 00 00",
}


def production_environment(monkeypatch, var_dir: Path) -> None:
    """What make run-prod reads, restored after the test (production_settings writes os.environ)."""
    clear_secrets(monkeypatch, var_dir)
    for name, value in PUBLISHER_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("PUBLIC_TLS", "PUBLIC_SOCKET_URL", "SECURE_COOKIES", "BIND_HOST", "PUBLIC_BIND_HOST", "PUBLIC_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by `pid` (from /proc: no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_lines(pids) -> dict[int, str]:
    """What `ps` shows of each process: /proc/<pid>/cmdline, readable by every user of the machine."""
    lines = {}
    for pid in pids:
        try:
            lines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return lines


def assert_no_secret_in(lines: dict[int, str], secrets_used) -> None:
    secrets_used = [secret for secret in secrets_used if secret]
    assert secrets_used and any("rasa_server run" in line for line in lines.values()), lines
    leaked = {pid: line for pid, line in lines.items() if any(secret in line for secret in secrets_used)}
    assert leaked == {}, "a secret is on a command line"


PORT_SETTINGS = ("PUBLIC_PORT", "RASA_PORT", "ACTION_PORT", "WEB_PORT", "RASA_SERVERS", "ACTION_SERVERS")


def clear_secrets(monkeypatch, var_dir: Path) -> None:
    for name in (*bot_settings.GENERATED_SECRETS, "PUBLIC_REST_WEBHOOK_TOKEN", "POSTGRES_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_VAR_DIR", str(var_dir))
