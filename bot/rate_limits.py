"""The rate limits' machinery, shared by the channels, the actions and the web app: sliding
windows, and who the client is. Each part keeps its own limits: the chat's in
bot/channels/limits.py, the handover requests and synthesis e-mails in actions/limits.py, the
console's login throttle in bot/web/login_throttle.py.

Sliding windows: at most `limit` events in any `window` seconds (a refused attempt is not
counted, so a person who waits gets through). With several Rasa servers or action servers
(`make run-prod`) the counters live in Redis (RATE_LIMIT_REDIS_URL, else REDIS_URL): one Lua
script per check, atomic, so two servers never both admit the last allowed message. Without
Redis, or while it does not answer, they live in this process's memory: the chat keeps working,
each server then limiting on its own.

Time comes from the caller (`now`, in seconds); the windows only compare times with each other.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Mapping

from bot import settings as bot_settings

logger = logging.getLogger(__name__)
KEY_PREFIX = "mediation:limit:"

# at most ARGV[3] entries scored within the last ARGV[2] ms: 0 = admitted, else ms to wait
_HIT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""
# the same for distinct members (a member already admitted in the window is admitted again):
# 0 = admitted, else ms until the oldest member leaves the window
_ADMIT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 0 end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""


@dataclass(frozen=True)
class Limit:
    limit: int  # events allowed in the window; 0 or less = no limit
    window: float  # seconds

    @property
    def enabled(self) -> bool:
        return self.limit > 0


class MemoryWindows:
    """The windows in this process (one event loop or one thread at a time per call)."""

    def __init__(self) -> None:
        self._events: dict[str, deque[float]] = {}
        self._members: dict[str, dict[str, float]] = {}

    def hit(self, key: str, rule: Limit, now: float) -> float:
        """Count one event; 0.0 when admitted, else the seconds to wait."""
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - rule.window:
            events.popleft()
        if len(events) < rule.limit:
            events.append(now)
            return 0.0
        return max(0.001, events[0] + rule.window - now)

    def admit(self, key: str, member: str, rule: Limit, now: float) -> bool:
        return self.admit_wait(key, member, rule, now) == 0

    def admit_wait(self, key: str, member: str, rule: Limit, now: float) -> float:
        """Count one distinct member (a conversation); 0.0 when admitted, else the seconds to wait."""
        members = self._members.setdefault(key, {})
        for old in [m for m, at in members.items() if at <= now - rule.window]:
            del members[old]
        if member in members:
            return 0.0
        if len(members) < rule.limit:
            members[member] = now
            return 0.0
        return max(0.001, min(members.values()) + rule.window - now)

    def forget_idle(self, now: float, longest_window: float) -> None:
        """Drop the keys with nothing left in any window (keeps memory bounded)."""
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - longest_window]:
            del self._events[key]
        for key in [k for k, v in self._members.items() if not v or max(v.values()) <= now - longest_window]:
            del self._members[key]


def redis_url() -> str:
    return bot_settings.current().rate_limit_redis_url


class Windows:
    """Redis when configured and answering, this process's memory otherwise.

    Synchronous: the action server calls it from its worker threads; the channels call the
    asynchronous twin `AsyncWindows`.
    """

    def __init__(self, url: str | None = None) -> None:
        self.memory = MemoryWindows()
        url = redis_url() if url is None else url
        self._redis = None
        if url:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            self._redis = (client.register_script(_HIT), client.register_script(_ADMIT))

    def hit(self, key: str, rule: Limit, now: float) -> float:
        if not rule.enabled:
            return 0.0
        if self._redis is not None:
            try:
                wait = self._redis[0](keys=[KEY_PREFIX + key], args=_args(now, rule, uuid.uuid4().hex))
                return int(wait) / 1000
            except Exception as error:  # Redis away: limit in memory meanwhile
                _warn(error)
        return self.memory.hit(key, rule, now)

    def admit(self, key: str, member: str, rule: Limit, now: float) -> bool:
        """Is this member (a conversation) one of the `limit` distinct ones allowed in the window?"""
        if not rule.enabled:
            return True
        if self._redis is not None:
            try:
                return int(self._redis[1](keys=[KEY_PREFIX + key], args=_args(now, rule, member))) == 0
            except Exception as error:
                _warn(error)
        return self.memory.admit(key, member, rule, now)


class AsyncWindows:
    """`Windows` for an event loop (the Rasa server's channels)."""

    def __init__(self, url: str | None = None) -> None:
        self.memory = MemoryWindows()
        url = redis_url() if url is None else url
        self._redis = None
        if url:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            self._redis = (client.register_script(_HIT), client.register_script(_ADMIT))

    async def hit(self, key: str, rule: Limit, now: float) -> float:
        if not rule.enabled:
            return 0.0
        if self._redis is not None:
            try:
                wait = await self._redis[0](keys=[KEY_PREFIX + key], args=_args(now, rule, uuid.uuid4().hex))
                return int(wait) / 1000
            except Exception as error:
                _warn(error)
        return self.memory.hit(key, rule, now)

    async def admit_wait(self, key: str, member: str, rule: Limit, now: float) -> float:
        """Count one distinct member; 0.0 when admitted, else the seconds to wait."""
        if not rule.enabled:
            return 0.0
        if self._redis is not None:
            try:
                return int(await self._redis[1](keys=[KEY_PREFIX + key], args=_args(now, rule, member))) / 1000
            except Exception as error:
                _warn(error)
        return self.memory.admit_wait(key, member, rule, now)


def _args(now: float, rule: Limit, member: str) -> list:
    return [int(now * 1000), int(rule.window * 1000), rule.limit, member]


_warned = False


def _warn(error: Exception) -> None:
    global _warned
    if not _warned:
        logger.warning("rate limits: Redis does not answer (%s); counting in this process meanwhile", error.__class__.__name__)
        _warned = True


# --- who is the client ------------------------------------------------------------------------
CLIENT_METADATA_KEY = "client"  # in a message's metadata, set by our channels only


def _ip(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None


def client_address(peer: str | None, headers: Mapping[str, str], trusted_proxies: tuple[str, ...]) -> str | None:
    """The address a limit per client applies to, or None for a local tool (no limit per client).

    Behind our nginx (a trusted proxy, loopback by default) it is the address nginx saw
    (`X-Real-IP`, which nginx always overwrites); a trusted peer without that header is a tool
    on this machine (tests, `make bench`, `make shell`); any other peer is the client itself.
    """
    peer = _ip(peer)
    if _trusted(peer, trusted_proxies):
        address = _ip(headers.get("x-real-ip") or headers.get("X-Real-IP"))
    else:
        address = peer
    if address is None or ipaddress.ip_address(address).is_loopback:
        return None
    return counted_as(address)


def counted_as(address: str) -> str:
    """What a limit per client counts: an IPv4 address, or an IPv6 client's /64 network (one
    subscriber's link gets a whole /64 and can pick any address in it; nginx keys its own limit
    the same way, deploy/nginx.conf.template). An IPv4-mapped IPv6 address is its IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_key(address: str | None, secret: str) -> str | None:
    """A pseudonym of the address (kept in message metadata and Redis keys, never the address)."""
    if address is None:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:24]


def client_of_events(events: list[dict]) -> str | None:
    """The client key our channels put in the metadata of the person's latest message."""
    for event in reversed(events or []):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get(CLIENT_METADATA_KEY)
            return value if isinstance(value, str) else None
    return None


def came_through_proxy(peer: str | None, headers: Mapping[str, str], trusted_proxies: tuple[str, ...]) -> bool:
    """True for a request nginx passed on from its public port (it always sets X-Real-IP)."""
    return _trusted(_ip(peer), trusted_proxies) and bool(headers.get("x-real-ip") or headers.get("X-Real-IP"))


def _trusted(peer: str | None, trusted_proxies: tuple[str, ...]) -> bool:
    """Is the peer one of the proxies (addresses or networks, e.g. a compose network 172.16.0.0/12)?"""
    if peer is None:
        return False
    address = ipaddress.ip_address(peer)
    for entry in trusted_proxies:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
