"""Security headers on every response of the web app (no secret in its logs: bot/log_redaction.py).

The Content-Security-Policy allows scripts and styles from this app only (no inline script),
and connections to this app and to Rasa's socket.io. Behind HTTPS (SECURE_COOKIES=1) browsers
are also told to use HTTPS only (HSTS).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, rasa_port: int, socket_origins: set[str] | None, hsts: bool = False) -> None:
        """socket_origins: where socket.io is reached; empty = this host on rasa_port; None = same origin.
        hsts: served over HTTPS (SECURE_COOKIES=1)."""
        self.app = app
        self.hsts = hsts
        self.rasa_port = rasa_port
        self.socket_origins = socket_origins

    def content_security_policy(self, scope: Scope) -> str:
        host = Headers(scope=scope).get("host", "localhost").rsplit(":", 1)[0].strip("[]") or "localhost"
        if not all(ch.isalnum() or ch in ".-:" for ch in host):
            host = "localhost"  # never reflect a strange Host header into the policy
        if self.socket_origins is None:
            sockets: set[str] = set()
        else:
            sockets = self.socket_origins or {f"http://{host}:{self.rasa_port}"}
        websockets = {o.replace("http", "ws", 1) for o in sockets}
        connect = " ".join(["'self'", *sorted(sockets), *sorted(websockets)])
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
            "object-src 'none'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.content_security_policy(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Referrer-Policy", "same-origin")  # a page may be stricter
                headers["X-Frame-Options"] = "DENY"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


HSTS = "max-age=31536000; includeSubDomains"  # a year, the usual value once HTTPS works
