"""A Redis lock store that stays correct when several Rasa servers share it.

Rasa Open Source 3.6's `RedisLockStore` changes a conversation's ticket lock by reading it,
changing it in Python and writing it back. Two servers doing that at the same moment overwrite
each other: a ticket disappears, its message waits for ever or fails with a LockError, or two
messages are processed at once. Here every change is one optimistic Redis transaction (WATCH /
MULTI / EXEC, retried on conflict), so issuing, expiring and releasing tickets are atomic.
And every ticket is kept alive by a heartbeat of the process that owns it: in Rasa's store a
ticket's lifetime runs from the moment it is issued, so a lock held by a server that dies blocks its
conversation for the whole lifetime (60 s by default), and the tickets queued behind it can expire
with it and their messages fail with « Could not acquire lock ». Here the waiter extends its ticket
at each poll and the holder every `lifetime / 4` seconds while it works, so the lifetime can be a
few seconds (TICKET_LOCK_LIFETIME, 5 in run-prod): a dead holder's lock lapses that fast, a slow
turn of a live one keeps its lock however long it takes.
Configured in deploy/endpoints.prod.yml as `type: bot.rasa_extensions.lock_store.AtomicRedisLockStore`.

With one Rasa server (`make run`, endpoints.yml) the locks stay in memory (`PromptInMemoryLockStore`),
polled as often: in Rasa's in-memory store a message sent while the previous one of its conversation
is being answered waits up to a whole second more after that answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import AsyncIterator, Callable, Optional, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
logger = logging.getLogger(__name__)
# how often a waiter looks whether its turn has come (Rasa polls every second)
POLL_SECONDS = 0.2


class PromptInMemoryLockStore(InMemoryLockStore):
    """Rasa's in-memory lock store, a waiter looking every POLL_SECONDS rather than every second."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        super().__init__()

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:
            yield lock


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self.lifetime = LOCK_LIFETIME

    def _change(self, conversation_id: str, change: Callable[[Optional[TicketLock]], tuple[Optional[TicketLock], T]]) -> T:
        """Apply `change(lock) -> (lock to keep or None to delete, result)` atomically."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    kept, result = change(lock)
                    pipe.multi()
                    if kept is None or not kept.tickets:
                        pipe.delete(key)
                    else:
                        pipe.set(key, kept.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # someone changed the lock meanwhile: start again from what is there

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's `lock()`, with the holder's ticket kept alive by a heartbeat while it works."""
        ticket = self.issue_ticket(conversation_id, self.lifetime)
        heartbeat: Optional[asyncio.Task] = None
        try:
            lock = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            heartbeat = asyncio.create_task(self._heartbeat(conversation_id, ticket))
            yield lock
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            self.cleanup(conversation_id, ticket)

    async def _heartbeat(self, conversation_id: str, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.lifetime / 4)
            try:
                self._keep_waiting(conversation_id, ticket)
            except redis.RedisError as exc:  # the next beat tries again; the turn goes on
                logger.warning("Could not extend the lock of a conversation: %s", exc)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]):
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)  # issue_ticket drops expired tickets

        try:
            return self._change(conversation_id, change)
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self._keep_waiting(conversation_id, ticket)
            if lock is None:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)

    def _keep_waiting(self, conversation_id: str, number: int) -> Optional[TicketLock]:
        """Drop expired tickets and extend ours (we are alive and waiting); None if ours is gone."""

        def change(lock: Optional[TicketLock]):
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == number), None)
            if mine is None:
                return lock, None
            mine.expires = max(mine.expires, time.time() + self.lifetime)
            return lock, lock

        return self._change(conversation_id, change)

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # removing our ticket deletes the lock only if no ticket is left, in the same transaction
        self.finish_serving(conversation_id, ticket_number)
