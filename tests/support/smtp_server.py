"""A real SMTP server for the mail tests (aiosmtpd, in this process, on a free port).

It keeps every message it accepted; `refuse_with` makes it answer DATA with an error (« 451 try
later », « 550 no such user »), `refuse_recipients` refuses given addresses at RCPT TO (a mailbox
that does not exist: « 550 5.1.1 »), and `stop()`/`start()` take it down and bring it back on the
same port, as a mail server that is away for a while.
"""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from bot.ops.supervisor import free_port


class Collector:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_with: str | None = None
        self.refuse_recipients: dict[str, str] = {}  # address -> the server's answer to RCPT TO
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.refuse_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.collector = Collector()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.collector.lock:
            return list(self.collector.messages)

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def plain(text: str) -> str:
    """Text with its French no-break spaces (bot/language/french.py) as plain spaces, for reading in asserts."""
    return str(text).replace("\u00a0", " ").replace("\u202f", " ")


def body(message: EmailMessage, kind: str = "plain") -> str:
    return plain(message.get_body((kind,)).get_content())


def subject(message: EmailMessage) -> str:
    return plain(message["Subject"])
