"""Server logs under var/logs that do not grow without end.

A child server writes its output into a pipe; a thread of the process that started it copies the
output into `name.log` and, past `max_bytes`, renames it `name.log.1` (the older ones shift up to
`backups`, the oldest is dropped) and goes on in a fresh file, as logging's RotatingFileHandler
does for a Python logger. Each line is written as soon as it is whole, with the secrets of secret
links masked (bot/log_redaction.py), whatever the server wrote it with (its logger, a traceback,
a print).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bot import log_redaction

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
MAX_LINE_BYTES = 65536  # a longer line without its end is written as it is


class RotatingLog(threading.Thread):
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        super().__init__(daemon=True, name=f"log {path.name}")
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        self._read_fd, self.write_fd = os.pipe()

    def child_started(self) -> None:
        """Close our copy of the write end: the copy ends when the child exits."""
        os.close(self.write_fd)

    def rotate(self) -> None:
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        if self.path.exists():
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    @staticmethod
    def masked(lines: bytes) -> bytes:
        return log_redaction.mask_secrets(lines.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def run(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.out = open(self.path, "ab")
        pending = b""  # the start of a line whose end has not come yet
        try:
            with os.fdopen(self._read_fd, "rb", buffering=0) as source:
                while chunk := source.read(65536):
                    pending += chunk
                    end = pending.rfind(b"\n") + 1 or (len(pending) if len(pending) > MAX_LINE_BYTES else 0)
                    if end:
                        self.write(self.masked(pending[:end]))
                        pending = pending[end:]
            if pending:
                self.write(self.masked(pending))
        finally:
            self.out.close()

    def write(self, chunk: bytes) -> None:
        while chunk:
            room = self.max_bytes - self.out.tell()
            if len(chunk) <= room:
                head, chunk = chunk, b""
            else:  # what fits, cut after a whole line when there is one
                cut = chunk.rfind(b"\n", 0, room) + 1 or (room if self.out.tell() == 0 else 0)
                head, chunk = chunk[:cut], chunk[cut:]
            self.out.write(head)
            self.out.flush()
            if chunk:
                self.out.close()
                self.rotate()
                self.out = open(self.path, "ab")
