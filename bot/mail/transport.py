"""Where messages go: an SMTP server (SMTP_URL), or .eml files under var/outbox/ without one.

`smtp://user:password@host:port` uses STARTTLS whenever the server offers it (and refuses to send
a password in clear otherwise); `smtps://…` is TLS from the first byte (port 465). Refusals are
sorted for the sender's retry policy: a 5xx answer to the message is permanent, anything else
(connection refused, time-out, 4xx « try later ») is temporary.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_SECONDS = 30


class Refused(Exception):
    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


_ENHANCED_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def status(code: int, text: bytes | str) -> str:
    """« 550 5.1.1 »: the reply code and its enhanced status code (RFC 3463), without the server's
    words, which often repeat the address (the queue keeps nothing personal)."""
    words = (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)).split()
    return f"{code} {words[0]}" if words and _ENHANCED_STATUS.match(words[0]) else str(code)


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    implicit_tls: bool
    user: str | None = None
    password: str | None = None
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted certificates

    @classmethod
    def from_url(cls, url: str, ssl_context: ssl.SSLContext | None = None) -> "SmtpTransport":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465")
        implicit = parts.scheme == "smtps"
        return cls(
            parts.hostname,
            parts.port or (465 if implicit else 587),
            implicit,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
            ssl_context,
        )

    def describe(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            with client:
                client.ehlo()
                if not self.implicit_tls and client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                if self.user:
                    if not self.implicit_tls and not isinstance(client.sock, ssl.SSLSocket):
                        raise Refused("the server offers no STARTTLS: the password is not sent in clear", True)
                    client.login(self.user, self.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = list(exc.recipients.values())
            raise Refused(
                "recipient refused: " + ", ".join(status(code, text) for code, text in answers),
                permanent=all(code >= 500 for code, _ in answers),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise Refused(
                status(exc.smtp_code, exc.smtp_error),
                permanent=exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError),
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise Refused(f"{type(exc).__name__}: {exc}", permanent=False) from exc


@dataclass(frozen=True)
class DirectoryTransport:
    """Each message as an .eml file: what would have been sent, for the embedded set-up."""

    directory: Path

    def describe(self) -> str:
        return f"{self.directory}/*.eml"

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = eml_path(self.directory, message["Message-ID"])
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(path)  # the same Message-ID again overwrites: one file per message


# An .eml copy holds an address, a name, a reset or appointment link: it is kept no longer than
# the mail server's queue would hold it (erased with its dossier, pruned after this many days).
KEEP_EML_DAYS = 7


def eml_path(directory: Path, message_id: str) -> Path:
    """Where DirectoryTransport writes the message with this Message-ID."""
    name = message_id.strip().strip("<>").replace("/", "_").replace("@", "_at_")
    return directory / f"{name}.eml"


def remove_copies(directory: Path, message_ids) -> int:
    """Delete the .eml copies of these messages (an erased or purged dossier's); how many were there."""
    removed = 0
    for message_id in message_ids:
        if not message_id:
            continue
        path = eml_path(directory, message_id)
        if path.parent == directory and path.exists():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def prune_copies(directory: Path, *, now: datetime, keep_days: int = KEEP_EML_DAYS) -> int:
    """Delete the .eml copies (and leftover .tmp files) written more than `keep_days` days before `now`."""
    if not directory.is_dir():
        return 0
    cutoff = (now - timedelta(days=keep_days)).timestamp()
    removed = 0
    for path in directory.iterdir():
        if path.suffix in (".eml", ".tmp") and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def from_settings(settings) -> SmtpTransport | DirectoryTransport:
    if settings.smtp_url:
        return SmtpTransport.from_url(settings.smtp_url)
    return DirectoryTransport(settings.outbox_dir)
