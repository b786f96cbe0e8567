"""Rasa's HTTP calls to the action server on kept connections.

Rasa 3.6's `EndpointConfig.request` (rasa/utils/endpoints.py) opens a new `aiohttp.ClientSession`
for every call, so every custom action call made a new connector and a new TCP connection to the
action server, and closed them: under `make profile` that set-up was about a tenth of the Rasa
server's event loop. Here each event loop keeps one session per endpoint configuration (headers,
basic auth), whose connections are reused; the channels close them when the server stops
(`close_kept`, also used for their own health-check session).

A kept connection the server closed while it was idle (a restart) is dropped by aiohttp before
reuse; one the server closes just as a call goes out on it (its keep-alive running out) fails the
call with `ServerDisconnectedError` unanswered, so the call is sent once more on a new connection.
Any other failure is Rasa's as before.

The kept connections are let go after CLIENT_KEEPALIVE_SECONDS idle, below the servers' own
keep-alive (Sanic's KEEP_ALIVE_TIMEOUT, 5 s, on the action server and the Rasa server): with
aiohttp's default of 15 s, a connection idle for 5 to 15 s was reused just as the server closed
it, and the call failed with « Connection reset by peer », which Rasa logs and goes on from
without the action's events (the person got an empty answer).

The body of each call (the whole tracker, as JSON) is written by ujson, already installed with
Rasa: 3 times faster than the standard library's encoder, which took 5 % of the Rasa server's CPU
under `make profile` (2026-12-08). What ujson cannot write (NaN, an integer over 64 bits, an
unknown type) goes to the standard encoder, as before.

Re-check on a Rasa upgrade: `EndpointConfig.request` still builds its session with `self.session()`
inside `async with`, and nothing else relies on the session being new.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import aiohttp
import ujson
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils import endpoints
from rasa.utils.endpoints import EndpointConfig

CLIENT_KEEPALIVE_SECONDS = 2.0  # < the servers' 5 s (Sanic's KEEP_ALIVE_TIMEOUT)

# (event loop, what makes the session) -> the session kept for it
_sessions: dict[tuple[asyncio.AbstractEventLoop, tuple], aiohttp.ClientSession] = {}


def kept(key: tuple, make: Callable[[], aiohttp.ClientSession]) -> aiohttp.ClientSession:
    """The running event loop's session for `key`, made with `make` the first time (or once it was
    closed). RuntimeError outside a running loop. The sessions of loops since closed are forgotten."""
    loop = asyncio.get_running_loop()
    session = _sessions.get((loop, key))
    if session is None or session.closed:
        for stale in [k for k in _sessions if k[0].is_closed()]:
            del _sessions[stale]
        session = _sessions[(loop, key)] = make()
    return session


async def close_kept() -> None:
    """Closes the running loop's kept sessions: a server stopping calls it (else aiohttp logs
    « Unclosed client session » for each one)."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _sessions if k[0] is loop]:
        await _sessions.pop(key).close()


def connector() -> aiohttp.TCPConnector:
    """A connector whose idle connections are closed before the server closes them."""
    return aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_SECONDS)


def json_body(value: Any) -> str:
    """A call's JSON body: ujson, or the standard encoder for what ujson refuses."""
    try:
        return ujson.dumps(value)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


def _new_session(config: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's `EndpointConfig.session()` (headers, basic auth, timeout), with our connector and
    JSON encoder."""
    auth = aiohttp.BasicAuth(config.basic_auth["username"], config.basic_auth["password"]) if config.basic_auth else None
    return aiohttp.ClientSession(
        headers=config.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=connector(),
        json_serialize=json_body,
    )


class _Kept:
    """`async with` on a kept session: hands it out, never closes it."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


_original_session = EndpointConfig.session
_original_request = EndpointConfig.request


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    try:
        return await _original_request(self, *args, **kwargs)  # `**` hands it a copy of kwargs
    except aiohttp.ServerDisconnectedError:
        # most likely a pooled connection the server had closed: once more, on a new connection
        return await _original_request(self, *args, **kwargs)


def _session(self: EndpointConfig) -> Any:
    try:
        key = ("action endpoint", tuple(sorted(self.headers.items())), tuple(sorted(self.basic_auth.items())))
        return _Kept(kept(key, lambda: _new_session(self)))
    except RuntimeError:  # no running event loop: a session of its own, as Rasa does
        return _original_session(self)


def install() -> None:
    """Idempotent."""
    if EndpointConfig.session is not _session:
        EndpointConfig.session = _session  # type: ignore[method-assign]
        EndpointConfig.request = _request  # type: ignore[method-assign]
    assert endpoints.EndpointConfig is EndpointConfig
