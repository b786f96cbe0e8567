"""The in-memory lock store of a single Rasa server (`make run`, endpoints.yml): a message that
waits for the previous one of its conversation looks every 0.2 s whether its turn has come, not
every second as in Rasa's own store (bot/rasa_extensions/lock_store.py)."""

from __future__ import annotations

import asyncio

import yaml
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot import paths
from bot.rasa_extensions import lock_store
from bot.rasa_extensions.lock_store import POLL_SECONDS, PromptInMemoryLockStore


def test_endpoints_yml_gives_the_prompt_in_memory_store():
    endpoints = yaml.safe_load((paths.ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config = EndpointConfig.from_dict(endpoints["lock_store"])
    assert isinstance(LockStore.create(config), PromptInMemoryLockStore)


def test_a_second_message_of_a_conversation_waits_in_short_polls_and_gets_the_lock_once_it_is_free(monkeypatch):
    store = PromptInMemoryLockStore()
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds, *args, **kwargs):
        waits.append(seconds)
        await real_sleep(0)

    async def play() -> list[str]:
        order: list[str] = []

        async def message(name: str, hold: int) -> None:
            async with store.lock("conversation"):
                order.append(f"{name} starts")
                for _ in range(hold):  # a turn that takes a few rounds of the event loop
                    await real_sleep(0)
                order.append(f"{name} ends")

        first = asyncio.create_task(message("first", 5))
        await real_sleep(0)  # the first message takes the lock
        await asyncio.gather(first, message("second", 0))
        return order

    monkeypatch.setattr(lock_store.asyncio, "sleep", recorded_sleep)
    monkeypatch.setattr("rasa.core.lock_store.asyncio.sleep", recorded_sleep)
    order = asyncio.run(play())
    assert order == ["first starts", "first ends", "second starts", "second ends"]  # one at a time, in order
    assert waits and set(waits) == {POLL_SECONDS} and POLL_SECONDS <= 0.2
    assert store.get_lock("conversation") is None  # released and deleted
