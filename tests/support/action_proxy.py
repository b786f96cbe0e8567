"""An HTTP proxy between the Rasa server and the action server whose action calls can be held: a
slow action server without restarting Rasa to point it elsewhere (a Rasa start costs half a minute).
When the action server is down, the proxy drops the connection without an answer, which Rasa reads
as it reads a refused connection (aiohttp's ClientConnectionError either way)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from bot.ops.supervisor import free_port


class ActionProxy:
    """Forwards every request to `target`; holds each action call (/webhook) `delay` seconds."""

    def __init__(self, target: str):
        self.delay = 0.0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/webhook") and proxy.delay:
                    time.sleep(proxy.delay)
                try:
                    answer = requests.request(
                        self.command,
                        target + self.path,
                        data=body,
                        timeout=60,
                        headers={"Content-Type": self.headers.get("Content-Type", "")},
                    )
                except requests.ConnectionError:
                    self.close_connection = True  # no answer at all, as from a dead server
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
