"""How often one address may try the console's login and « mot de passe oublié » forms.

Counted per client address (behind nginx: the X-Real-IP it sets; bot/rate_limits.py), in Redis
when configured (RATE_LIMIT_REDIS_URL / REDIS_URL: every web worker counts together), in the app's
memory otherwise. A tool on this machine (no client address) is not counted, as in the chat.
Refused: 429 with a French reason and Retry-After. The lock-out after wrong passwords is per
(account, address) and lives in the database (bot/store/accounts.py).
"""

from __future__ import annotations

import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from bot.rate_limits import Limit, Windows, client_address, client_key
from bot.web.handlers import now_of

LOGIN_ATTEMPTS = Limit(20, 15 * 60)  # logins tried from one address, right or wrong, whatever the account
RESET_REQUESTS = Limit(5, 15 * 60)  # « mot de passe oublié » forms sent from one address
TOO_MANY_ATTEMPTS = "Trop d'essais depuis votre connexion. Merci de patienter {wait} avant de réessayer."


def client_of(request: Request) -> tuple[str | None, str]:
    """(the client's address, or None for a tool on this machine; its keyed pseudonym, or "")."""
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    address = client_address(peer, request.headers, settings.trusted_proxies)
    return address, client_key(address, settings.session_secret) or ""


async def seconds_to_wait(request: Request, form: str, rule: Limit) -> float:
    """Count one use of `form` by this client: 0 when allowed, else the seconds to wait."""
    address, key = client_of(request)
    if address is None:
        return 0.0
    state = request.app.state
    windows = getattr(state, "form_windows", None)
    if windows is None:
        windows = state.form_windows = Windows(state.settings.rate_limit_redis_url)
    return await run_in_threadpool(windows.hit, f"console-{form}:{key}", rule, now_of(request).timestamp())


def too_many(wait: float) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return TOO_MANY_ATTEMPTS.format(wait="une minute" if minutes == 1 else f"{minutes} minutes")


def retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(math.ceil(wait))}
