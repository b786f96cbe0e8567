"""Server logs under var/logs that do not grow without end.

A child server writes its output into a pipe; a thread of the process that started it copies the
output into `name.log` and, past `max_bytes`, renames it `name.log.1` (the older ones shift up to
`backups`, the oldest is dropped) and goes on in a fresh file, as logging's RotatingFileHandler
does for a Python logger. Nothing is buffered: each chunk is written as it arrives.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5


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

    def run(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.path, "ab")
        try:
            with os.fdopen(self._read_fd, "rb", buffering=0) as source:
                while chunk := source.read(65536):
                    while chunk:
                        room = self.max_bytes - out.tell()
                        if len(chunk) <= room:
                            head, chunk = chunk, b""
                        else:  # what fits, cut after a whole line when there is one
                            cut = chunk.rfind(b"\n", 0, room) + 1 or (room if out.tell() == 0 else 0)
                            head, chunk = chunk[:cut], chunk[cut:]
                        out.write(head)
                        out.flush()
                        if chunk:
                            out.close()
                            self.rotate()
                            out = open(self.path, "ab")
        finally:
            out.close()
