"""All runtime configuration, read from the environment in one place.

Defaults give the embedded set-up: servers on loopback, SQLite file under var/.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import tempfile
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


def _positive_int_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 1:
        raise SystemExit(f"{name} must be 1 or more, got {value}")
    return value


def _persistent_secret(name: str, var_dir: Path) -> str:
    """A secret from the environment, or one generated once and kept in var/ (mode 600 from the
    start: written to a private temporary file, then linked into place, so that no other user can
    ever read it and two processes starting together keep the same one)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = var_dir / name.lower()
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=var_dir, prefix=f".{path.name}-")  # mode 600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
            os.link(temporary, path)  # fails if another process was first: keep its secret
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:  # written by an older version, or by hand
        path.chmod(0o600)
    return path.read_text().strip()


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
    console_idle_minutes: int = 30  # a console session not used this long ends (ASVS 3.3.2); polls do not count
    rasa_api_url: str = ""  # where the web app reaches Rasa's HTTP API; "" = rasa_url (make run-prod: nginx)
    action_token: str = ""  # the secret Rasa shows the action server; "" = derived from rasa_token
    # rate limits of the public chat (bot/channels/limits.py, actions/limits.py); 0 = no limit
    conversation_messages_per_minute: int = 20  # a person does not type more
    client_messages_per_minute: int = 60  # one address: a few people behind one office router
    client_handovers_per_hour: int = 5  # new call back / appointment requests from one address
    # distinct conversations one address may talk in per hour (an office router: several people)
    client_new_conversations_per_hour: int = 30
    syntheses_per_day: int = 3  # synthesis e-mails a day per recipient address and per client address
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
    # make run-prod: where nginx's public port listens (every other server stays on 127.0.0.1)
    public_bind_host: str = "127.0.0.1"
    public_tls: bool = False  # PUBLIC_TLS=1: people reach the service over HTTPS (secure cookies, HSTS)
    postgres_password: str = ""  # POSTGRES_PASSWORD (docker compose): checked like the other secrets
    # who publishes the service, said by the privacy notice and the legal notice (bot/web/notices.py);
    # "" = a development value marked as such; make run-prod and PUBLIC_TLS=1 refuse to start without them
    publisher_name: str = ""  # PUBLISHER_NAME: the body that runs the service (controller of the data)
    publisher_address: str = ""  # PUBLISHER_ADDRESS: its postal address
    publication_director: str = ""  # PUBLICATION_DIRECTOR: name and role of the director of publication
    hosting_provider: str = ""  # HOSTING_PROVIDER, HOSTING_ADDRESS, HOSTING_PHONE: who hosts the servers
    hosting_address: str = ""
    hosting_phone: str = ""
    dpo_contact: str = ""  # DPO_CONTACT: the data protection officer's e-mail or address; "" = the service's e-mail

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
        """Variables that endpoints.yml refers to, and Rasa's telemetry off."""
        return {
            "ACTION_ENDPOINT_URL": self.action_url,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "TRACKER_DIALECT": database_dialect(self.database_url),
            "TRACKER_URL": self.database_url,
            # nothing leaves for Rasa's telemetry, whatever the calling environment or ~/.config/rasa says
            "RASA_TELEMETRY_ENABLED": "false",
        }


# Secrets: 32 characters or more, and not a value copied from an example (deploy/example.env used
# to hold `change-me`: with SESSION_SECRET=change-me anyone could sign an admin's console session).
SECRET_MIN_LENGTH = 32
# refused when the value starts with one of these, whatever follows
PLACEHOLDER_PREFIXES = (
    "change-me",
    "change_me",
    "changeme",
    "change-this",
    "changethis",
    "replace-me",
    "replaceme",
    "your-",
    "your_",
    "<",
    "xxx",
    "todo",
    "secret",
    "password",
    "example",
    "placeholder",
    "default",
)
# refused when the value's letters are nothing but these words, whatever digits or punctuation lie
# between (`test-test-test…`, `password-1234…`); `test-token-<32 random hex digits>` is fine
PLACEHOLDER_WORDS = re.compile(
    r"(?:change|replace|me|this|your|secret|password|passwd|pass|example|test|token|key|default|placeholder|"
    r"xxx|todo|admin|session|conversation|rasa|action|server|webhook|public|rest|postgres|mediation)*"
)
SECRET_MIN_DISTINCT_CHARACTERS = 10  # `aaaa…`, `0000…`, `abab…`
GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# generated into var/<name in lower case> when unset
GENERATED_SECRETS = ("RASA_TOKEN", "CONVERSATION_SECRET", "SESSION_SECRET", "ACTION_SERVER_TOKEN")


def weak_secret_reason(value: str) -> str | None:
    """Why this secret is too weak to serve with, or None. Never quotes the value."""
    if len(value) < SECRET_MIN_LENGTH:
        return f"is shorter than {SECRET_MIN_LENGTH} characters ({len(value)})"
    lowered = value.lower()
    if lowered.startswith(PLACEHOLDER_PREFIXES) or PLACEHOLDER_WORDS.fullmatch(re.sub(r"[^a-z]", "", lowered)):
        return "is a placeholder from an example, not a secret"
    if len(set(value)) < SECRET_MIN_DISTINCT_CHARACTERS:
        return "repeats too few characters to be random"
    return None


class WeakSecret(SystemExit):
    """A secret of the settings is weak: the entry point stops, naming its variable."""


def secrets_of(settings: Settings) -> dict[str, str]:
    """Every secret a process of the service relies on, by the variable that sets it (the optional
    ones only when set)."""
    found = {
        "RASA_TOKEN": settings.rasa_token,
        "CONVERSATION_SECRET": settings.conversation_secret,
        "SESSION_SECRET": settings.session_secret,
        "ACTION_SERVER_TOKEN": settings.action_server_token,
    }
    if settings.public_rest_token:
        found["PUBLIC_REST_WEBHOOK_TOKEN"] = settings.public_rest_token
    if settings.postgres_password:
        found["POSTGRES_PASSWORD"] = settings.postgres_password
    return found


def require_strong_secrets(settings: Settings) -> None:
    """Called by every entry point before it serves (bot run, bot run-prod, the web app, the action
    server, the Rasa server): raises WeakSecret naming the first weak secret's variable."""
    for name, value in secrets_of(settings).items():
        reason = weak_secret_reason(value)
        if reason is None:
            continue
        if name in GENERATED_SECRETS:
            file = settings.var_dir / name.lower()
            fix = f"set {name} to a long random value ({GENERATE_SECRET}), or unset it and delete {file}: one is generated there"
            raise WeakSecret(f"Cannot start: {name} (or {file}, used when it is unset) {reason}; {fix}.")
        raise WeakSecret(f"Cannot start: {name} {reason}; set it to a long random value ({GENERATE_SECRET}).")


# Who publishes the service (the legal notice, LCEN art. 6; the controller of the privacy notice,
# RGPD art. 13): a development run shows these values, marked as such; production refuses them.
PUBLISHER_SETTINGS = {
    "PUBLISHER_NAME": "publisher_name",
    "PUBLISHER_ADDRESS": "publisher_address",
    "PUBLICATION_DIRECTOR": "publication_director",
    "HOSTING_PROVIDER": "hosting_provider",
    "HOSTING_ADDRESS": "hosting_address",
    "HOSTING_PHONE": "hosting_phone",
}
DEVELOPMENT_VALUE = "[valeur de développement\u00a0: {variable} n’est pas renseigné]"


class MissingPublisher(SystemExit):
    """Production without the publisher's details: the entry point stops, naming the variables."""


def missing_publisher(settings: Settings) -> list[str]:
    """The publisher's variables left unset."""
    return [name for name, field in PUBLISHER_SETTINGS.items() if not getattr(settings, field).strip()]


def publisher_value(settings: Settings, variable: str) -> str:
    """The variable's value, or the development value that says it is unset."""
    return getattr(settings, PUBLISHER_SETTINGS[variable]).strip() or DEVELOPMENT_VALUE.format(variable=variable)


def require_publisher(settings: Settings) -> None:
    """Called by the production entry points (make run-prod; the web app when PUBLIC_TLS=1, as in the
    containers): a public service may not publish its privacy and legal notices without its own
    name, address, director of publication and host. Raises MissingPublisher naming what is unset."""
    missing = missing_publisher(settings)
    if missing:
        raise MissingPublisher(
            f"Cannot start: {', '.join(missing)} unset. The privacy notice and the legal notice a public service "
            "must publish say who runs it, where, and who hosts it: set them (README, Configuration)."
        )


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
    raw = getattr(os.environ, "_data", None)  # CPython's own copy of the environment, as bytes
    seen, settings = _last_seen
    if raw is not None and raw == seen:
        return settings  # the environment as last time: no decoding and sorting of every variable
    settings = _settings_for(tuple(sorted(os.environ.items())))
    if raw is not None:
        _last_seen[:] = [dict(raw), settings]
    return settings


# The environment `current()` last read and the Settings it gave: comparing two dicts costs a
# microsecond, decoding and sorting the environment 75 µs, and both servers ask several times a message.
_last_seen: list = [None, None]


@lru_cache(maxsize=1)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    return load()


def load() -> Settings:
    """A Settings read from the environment now (an entry point calls `current()` instead)."""
    var_dir = var_directory()
    var_dir.mkdir(parents=True, exist_ok=True)
    web_port = _int_env("WEB_PORT", 8000)
    public_tls = _text_env("PUBLIC_TLS") in ("1", "true", "yes")
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
        secure_cookies=public_tls or _text_env("SECURE_COOKIES") in ("1", "true", "yes"),
        claim_lease_minutes=_int_env("CLAIM_LEASE_MINUTES", 30),
        live_pickup_seconds=_int_env("LIVE_PICKUP_SECONDS", 180),
        presence_idle_minutes=_int_env("PRESENCE_IDLE_MINUTES", 10),
        conversation_idle_minutes=_int_env("CONVERSATION_IDLE_MINUTES", 30),
        console_idle_minutes=_positive_int_env("CONSOLE_IDLE_MINUTES", 30),
        rasa_api_url=os.environ.get("RASA_API_URL", "").strip().rstrip("/"),
        action_token=_persistent_secret("ACTION_SERVER_TOKEN", var_dir),
        conversation_messages_per_minute=_int_env("RATE_LIMIT_CONVERSATION_PER_MINUTE", 20),
        client_messages_per_minute=_int_env("RATE_LIMIT_CLIENT_PER_MINUTE", 60),
        client_handovers_per_hour=_int_env("RATE_LIMIT_HANDOVERS_PER_HOUR", 5),
        client_new_conversations_per_hour=_int_env("RATE_LIMIT_NEW_CONVERSATIONS_PER_HOUR", 30),
        syntheses_per_day=_int_env("RATE_LIMIT_SYNTHESES_PER_DAY", 3),
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
        public_bind_host=_text_env("PUBLIC_BIND_HOST") or "127.0.0.1",
        public_tls=public_tls,
        postgres_password=_text_env("POSTGRES_PASSWORD"),
        publisher_name=_text_env("PUBLISHER_NAME"),
        publisher_address=_text_env("PUBLISHER_ADDRESS"),
        publication_director=_text_env("PUBLICATION_DIRECTOR"),
        hosting_provider=_text_env("HOSTING_PROVIDER"),
        hosting_address=_text_env("HOSTING_ADDRESS"),
        hosting_phone=_text_env("HOSTING_PHONE"),
        dpo_contact=_text_env("DPO_CONTACT"),
    )
