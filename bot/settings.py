"""All runtime configuration, read from the environment in one place.

Defaults give the embedded set-up: servers on loopback, SQLite file under var/.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import paths  # The service's local time: slots, opening hours and dates said to people.

PARIS = ZoneInfo("Europe/Paris")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _persistent_secret(name: str, var_dir: Path) -> str:
    """A secret from the environment, or one generated once and kept in var/ (mode 600)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = var_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def database_dialect(url: str) -> str:
    """SQLAlchemy dialect name of a database URL ('postgresql+psycopg2://' -> 'postgresql')."""
    scheme = url.split("://", 1)[0]
    return scheme.split("+", 1)[0]


# Longest chat message accepted from a person (a long e-mail pasted whole gets a polite reply).
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Settings:
    bind_host: str
    rasa_port: int
    action_port: int
    web_port: int
    rasa_token: str
    conversation_secret: str  # signs website conversation ids (bot/web/conversation_ids.py)
    database_url: str
    var_dir: Path
    allowed_origins: tuple[str, ...]  # sites allowed to embed the chat widget
    public_socket_url: str  # where browsers reach Rasa's socket.io; "" = same host, RASA_PORT
    session_secret: str = ""  # signs the console's session and CSRF cookies
    secure_cookies: bool = False  # SECURE_COOKIES=1 when served over HTTPS
    claim_lease_minutes: int = 30  # a claimed dossier returns to the queue after this idle time
    live_pickup_seconds: int = 180  # a person waiting for a live mediator is offered a call back after this
    presence_idle_minutes: int = 10  # a mediator whose console is idle this long counts as away
    # a website conversation idle this long is not resumed: its history is refused, a new one starts
    conversation_idle_minutes: int = 30  # (a shared public computer: the next person must not read it)
    rasa_api_url: str = ""  # where the web app reaches Rasa's HTTP API; "" = rasa_url (make run-prod: nginx)
    action_token: str = ""  # the secret Rasa shows the action server; "" = derived from rasa_token
    # rate limits of the public chat (bot/rate_limits.py); 0 = no limit
    conversation_messages_per_minute: int = 20  # a person does not type more
    client_messages_per_minute: int = 60  # one address: a few people behind one office router
    client_handovers_per_hour: int = 5  # new call back / appointment requests from one address
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # whose X-Real-IP names the client
    # make run-prod: the REST webhook on the public port only when this token is set (then required)
    public_rest_token: str = ""
    smtp_url: str = ""  # smtp://user:password@host:port (STARTTLS when offered) or smtps://; "" = var/outbox/*.eml
    mail_from: str = ""  # the sender of every e-mail; "" = the service's address (data/service.yml)
    public_url: str = ""  # how people reach the web app, for links in e-mails; "" = web_url
    reminder_hours: int = 24  # the reminder goes out this long before an appointment
    opening_hours: str = ""  # OPENING_HOURS: JSON that replaces data/service.yml's hours; "" = the file's
    service_phone: str = ""  # SERVICE_PHONE / SERVICE_EMAIL replace data/service.yml's demo contact
    service_email: str = ""
    redis_url: str = ""  # REDIS_URL: Rasa's lock store in make run-prod, checked by /ready
    rate_limit_redis_url: str = ""  # RATE_LIMIT_REDIS_URL, else REDIS_URL; "" = each process counts alone
    socketio_redis_url: str = ""  # SOCKETIO_REDIS_URL: carries widget messages across Rasa servers
    action_replay_redis_url: str = ""  # ACTION_REPLAY_REDIS_URL: a retried message runs no action twice
    actions_health_url: str = ""  # ACTIONS_HEALTH_URL; "" = the action server on ACTION_PORT
    action_endpoint_url: str = ""  # ACTION_ENDPOINT_URL as Rasa sees it (endpoints.yml); "" = not checked

    @property
    def action_server_token(self) -> str:
        if self.action_token:
            return self.action_token
        return hashlib.sha256(f"action-server:{self.rasa_token}".encode()).hexdigest()

    @property
    def web_url(self) -> str:
        return f"http://{self.bind_host}:{self.web_port}"

    @property
    def public_base_url(self) -> str:
        """The web app as people reach it (links in e-mails)."""
        return self.public_url or f"http://localhost:{self.web_port}"

    @property
    def outbox_dir(self) -> Path:
        """Where e-mails are written as .eml files when no SMTP_URL is set."""
        return self.var_dir / "outbox"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.bind_host}:{self.rasa_port}"

    @property
    def rasa_api_base(self) -> str:
        return self.rasa_api_url or self.rasa_url

    @property
    def action_url(self) -> str:
        return f"http://{self.bind_host}:{self.action_port}/webhook"

    def rasa_environment(self) -> dict[str, str]:
        """Variables that endpoints.yml refers to."""
        return {
            "ACTION_ENDPOINT_URL": self.action_url,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "TRACKER_DIALECT": database_dialect(self.database_url),
            "TRACKER_URL": self.database_url,
        }


# The placeholders of data/service.yml: a deployment sets SERVICE_PHONE and SERVICE_EMAIL instead.
DEMO_PHONE_PREFIX = "01 00 00 00"
DEMO_EMAIL_DOMAINS = ("example.org", "example.com", "exemple.fr")


def service_contact_overrides() -> dict[str, str]:
    """SERVICE_PHONE / SERVICE_EMAIL, when set: they replace data/service.yml's."""
    found = {"phone": current().service_phone, "email": current().service_email}
    return {key: value for key, value in found.items() if value}


def is_demo_phone(phone: str) -> bool:
    return phone.strip().startswith(DEMO_PHONE_PREFIX)


def is_demo_email(email: str) -> bool:
    return email.strip().lower().rsplit("@", 1)[-1] in DEMO_EMAIL_DOMAINS


def var_directory() -> Path:
    return Path(os.environ.get("BOT_VAR_DIR", str(paths.VAR))).resolve()


def database_url() -> str:
    """DATABASE_URL, or the embedded SQLite file under var/."""
    return os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{var_directory() / 'mediation.db'}"


def _allowed_origins(web_port: int) -> tuple[str, ...]:
    """WEB_ALLOWED_ORIGINS (comma-separated), plus the service's own page."""
    own = (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}")
    extra = [o.strip().rstrip("/") for o in os.environ.get("WEB_ALLOWED_ORIGINS", "").split(",") if o.strip()]
    return tuple(dict.fromkeys([*own, *extra]))


def _text_env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def current() -> Settings:
    """The process's one Settings, read from the environment once (again only if the environment
    changes, as tests do).

    Entry points (bot run, the web app, the action server, Rasa's channels) read it and pass it
    down; the custom actions, which Rasa SDK builds without arguments, read it; so do the three
    lookups that every layer makes (opening hours, the service's contact, the rate-limit store)."""
    return _settings_for(tuple(sorted(os.environ.items())))


@lru_cache(maxsize=1)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    return load()


def load() -> Settings:
    """A Settings read from the environment now (an entry point calls `current()` instead)."""
    var_dir = var_directory()
    var_dir.mkdir(parents=True, exist_ok=True)
    web_port = _int_env("WEB_PORT", 8000)
    return Settings(
        bind_host=os.environ.get("BIND_HOST", "127.0.0.1"),
        rasa_port=_int_env("RASA_PORT", 5005),
        action_port=_int_env("ACTION_PORT", 5055),
        web_port=web_port,
        rasa_token=_persistent_secret("RASA_TOKEN", var_dir),
        conversation_secret=_persistent_secret("CONVERSATION_SECRET", var_dir),
        database_url=database_url(),
        var_dir=var_dir,
        allowed_origins=_allowed_origins(web_port),
        public_socket_url=os.environ.get("PUBLIC_SOCKET_URL", "").strip().rstrip("/"),
        session_secret=_persistent_secret("SESSION_SECRET", var_dir),
        secure_cookies=os.environ.get("SECURE_COOKIES", "").strip() in ("1", "true", "yes"),
        claim_lease_minutes=_int_env("CLAIM_LEASE_MINUTES", 30),
        live_pickup_seconds=_int_env("LIVE_PICKUP_SECONDS", 180),
        presence_idle_minutes=_int_env("PRESENCE_IDLE_MINUTES", 10),
        conversation_idle_minutes=_int_env("CONVERSATION_IDLE_MINUTES", 30),
        rasa_api_url=os.environ.get("RASA_API_URL", "").strip().rstrip("/"),
        action_token=_persistent_secret("ACTION_SERVER_TOKEN", var_dir),
        conversation_messages_per_minute=_int_env("RATE_LIMIT_CONVERSATION_PER_MINUTE", 20),
        client_messages_per_minute=_int_env("RATE_LIMIT_CLIENT_PER_MINUTE", 60),
        client_handovers_per_hour=_int_env("RATE_LIMIT_HANDOVERS_PER_HOUR", 5),
        trusted_proxies=tuple(p.strip() for p in os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if p.strip()),
        public_rest_token=os.environ.get("PUBLIC_REST_WEBHOOK_TOKEN", "").strip(),
        smtp_url=os.environ.get("SMTP_URL", "").strip(),
        mail_from=os.environ.get("MAIL_FROM", "").strip(),
        public_url=os.environ.get("PUBLIC_URL", "").strip().rstrip("/"),
        reminder_hours=_int_env("MAIL_REMINDER_HOURS", 24),
        opening_hours=_text_env("OPENING_HOURS"),
        service_phone=_text_env("SERVICE_PHONE"),
        service_email=_text_env("SERVICE_EMAIL"),
        redis_url=_text_env("REDIS_URL"),
        rate_limit_redis_url=_text_env("RATE_LIMIT_REDIS_URL") or _text_env("REDIS_URL"),
        socketio_redis_url=_text_env("SOCKETIO_REDIS_URL"),
        action_replay_redis_url=_text_env("ACTION_REPLAY_REDIS_URL"),
        actions_health_url=_text_env("ACTIONS_HEALTH_URL"),
        action_endpoint_url=_text_env("ACTION_ENDPOINT_URL"),
    )
