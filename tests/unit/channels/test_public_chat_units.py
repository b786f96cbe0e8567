"""In-process checks of what keeps the public chat from being steered or spammed: typed payloads
(bot/rasa_extensions/patches/typed_payloads.py), the rate-limit windows in memory and in Redis
(bot/rate_limits.py), the chat's limits (bot/channels/limits.py), who the client is, the public REST
webhook's refusal, the handover limit in the actions (actions/limits.py). The same rules through
the real servers: tests/e2e/test_public_chat_rest.py.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot import rate_limits
from bot.channels.limits import ChatLimits
from bot.channels.rest import public_refusal
from bot.rasa_extensions.patches import typed_payloads
from bot.rate_limits import AsyncWindows, Limit, MemoryWindows, Windows
from tests.support.servers import offline_settings as settings
from tests.support.services import REDIS_URL, require_redis

MENU = BotUttered(
    "Quel est votre besoin ?",
    {"buttons": [{"title": "Être visible", "payload": "/presence_en_ligne"}, {"title": "Un humain", "payload": "/ask_human"}]},
)
SLOTS = BotUttered("Voici les créneaux", {"buttons": [{"title": "Lundi 10 h", "payload": '/inform{"creneau": "7"}'}]})


# --- typed payloads ---------------------------------------------------------------------------
def test_only_the_payloads_just_offered_are_read_as_intents():
    events = [UserUttered("bonjour"), ActionExecuted("utter_greet"), MENU]
    assert typed_payloads.checked_text("/presence_en_ligne", events) == "/presence_en_ligne"
    assert typed_payloads.checked_text("  /ask_human ", events) == "  /ask_human "
    # never offered, or offered earlier but not since the last message
    assert typed_payloads.checked_text("/EXTERNAL_live_ended", events) == "EXTERNAL_live_ended"
    assert typed_payloads.checked_text('/inform{"creneau": "1"}', events) == 'inform{"creneau": "1"}'
    assert typed_payloads.checked_text("/ask_human@0.1", events) == "ask_human@0.1"
    later = [*events, UserUttered("/presence_en_ligne"), BotUttered("C'est bien ça ?")]
    assert typed_payloads.checked_text("/ask_human", later) == "ask_human"
    # an offered slot, but not another one; plain text is never touched
    with_slots = [*events, UserUttered("oui"), SLOTS]
    assert typed_payloads.checked_text('/inform{"creneau": "7"}', with_slots) == '/inform{"creneau": "7"}'
    assert typed_payloads.checked_text('/inform{"creneau": "8"}', with_slots) == 'inform{"creneau": "8"}'
    assert typed_payloads.checked_text("je veux un site", []) == "je veux un site"
    assert typed_payloads.checked_text("// /", []) == "?"


def test_payloads_of_several_messages_of_one_turn_count():
    events = [UserUttered("un humain"), SLOTS, BotUttered("ou bien", {"buttons": [{"title": "x", "payload": "/deny"}]})]
    assert typed_payloads.offered_payloads(events) == {'/inform{"creneau": "7"}', "/deny"}


# --- windows --------------------------------------------------------------------------------
def test_memory_window_admits_the_limit_then_says_how_long_to_wait():
    windows, rule = MemoryWindows(), Limit(20, 60)
    admitted = [windows.hit("c", rule, 1000 + i * 0.05) == 0 for i in range(60)]
    assert admitted == [True] * 20 + [False] * 40
    assert windows.hit("c", rule, 1010) == pytest.approx(50, abs=0.01)  # the first one leaves at 1060
    assert windows.hit("other", rule, 1010) == 0  # another key is counted apart
    assert windows.hit("c", rule, 1060.01) == 0  # a slot freed: a person who waits gets through


def test_memory_distinct_members():
    windows, rule = MemoryWindows(), Limit(2, 3600)
    assert windows.admit("k", "conv-1", rule, 0) and windows.admit("k", "conv-2", rule, 1)
    assert windows.admit("k", "conv-1", rule, 2)  # the same conversation again: the same request
    assert not windows.admit("k", "conv-3", rule, 3)
    assert windows.admit("k", "conv-3", rule, 3601)


def test_no_limit_when_set_to_zero():
    assert Windows(url="").hit("c", Limit(0, 60), 0) == 0


def test_redis_windows_are_shared_by_several_servers():
    """Two Rasa servers (two clients of one Redis) admit 20 messages together, not 20 each."""
    require_redis()
    key, rule = "test:" + uuid.uuid4().hex, Limit(20, 60)
    first, second = Windows(url=REDIS_URL), Windows(url=REDIS_URL)
    waits = [(first if i % 2 else second).hit(key, rule, 5000 + i * 0.01) for i in range(30)]
    assert sum(1 for w in waits if w == 0) == 20 and all(w > 59 for w in waits[20:])
    assert first.admit(key + ":h", "a", Limit(1, 3600), 0) and second.admit(key + ":h", "a", Limit(1, 3600), 1)
    assert not second.admit(key + ":h", "b", Limit(1, 3600), 2)

    async def burst():
        windows = AsyncWindows(url=REDIS_URL)
        return [await windows.hit(key + ":async", rule, 7000) for _ in range(25)]

    assert [w == 0 for w in asyncio.run(burst())] == [True] * 20 + [False] * 5


def test_redis_away_limits_in_memory():
    windows = Windows(url="redis://127.0.0.1:1/0")  # nothing listens there
    assert [windows.hit("c", Limit(2, 60), 0) == 0 for _ in range(3)] == [True, True, False]


def test_chat_limits_per_client_then_per_conversation():
    now = [0.0]
    limits = ChatLimits(
        settings(client_messages_per_minute=3, conversation_messages_per_minute=2),
        windows=AsyncWindows(url=""),
        clock=lambda: now[0],
    )

    async def play():
        return [
            await limits.wait_before(conversation, client)
            for conversation, client in [("a", "x"), ("a", "x"), ("a", "x"), ("b", "x"), ("c", None), ("c", None)]
        ]

    results = asyncio.run(play())
    assert results[:2] == [None, None]
    assert results[2][0] == "conversation" and results[3][0] == "client"
    assert results[4:] == [None, None]  # a local tool: no limit per client


# --- who is the client ------------------------------------------------------------------------
def test_client_address():
    trusted = ("127.0.0.1", "::1")
    assert rate_limits.client_address("203.0.113.9", {}, trusted) == "203.0.113.9"
    # a client that is not our proxy cannot choose its address
    assert rate_limits.client_address("203.0.113.9", {"x-real-ip": "198.51.100.1"}, trusted) == "203.0.113.9"
    assert rate_limits.client_address("127.0.0.1", {"x-real-ip": "198.51.100.1"}, trusted) == "198.51.100.1"
    assert rate_limits.client_address("127.0.0.1", {}, trusted) is None  # tests, make bench, make shell
    assert rate_limits.client_address("127.0.0.1", {"x-real-ip": "not an address"}, trusted) is None
    key = rate_limits.client_key("198.51.100.1", "secret")
    assert key and "198" not in key and key == rate_limits.client_key("198.51.100.1", "secret")


def test_the_rest_webhook_is_not_public_unless_enabled_and_then_needs_its_token():
    proxied = {"x-real-ip": "198.51.100.1"}
    assert public_refusal("127.0.0.1", {}, settings()) is None  # local tools
    assert public_refusal("127.0.0.1", proxied, settings())[0] == 404
    enabled = settings(public_rest_token="jeton-secret")
    assert public_refusal("127.0.0.1", proxied, enabled)[0] == 401
    assert public_refusal("127.0.0.1", {**proxied, "authorization": "Bearer autre"}, enabled)[0] == 401
    assert public_refusal("127.0.0.1", {**proxied, "authorization": "Bearer jeton-secret"}, enabled) is None


# --- handover requests per client (in the actions) -------------------------------------------
def test_a_client_cannot_fill_the_queue_with_call_back_requests(store_url, monkeypatch):
    from actions import limits
    from actions.callback import ActionRequestCallback
    from tests.support.actions import CONSENTED, make_tracker, run, stored

    monkeypatch.setenv("RATE_LIMIT_HANDOVERS_PER_HOUR", "2")
    monkeypatch.setattr(limits, "_shared", Windows(url=""))
    client = rate_limits.client_key("198.51.100.7", "s")

    def request_from(conversation: str, key: str | None):
        tracker = make_tracker("non", slots=CONSENTED, events=[{"event": "user", "text": "non", "metadata": {"client": key}}])
        tracker.sender_id = conversation
        return run(ActionRequestCallback(), tracker)[0]

    for conversation in ("c1", "c2", "c1"):  # c1 twice: one request
        assert request_from(conversation, client)[0]["response"] == "utter_callback_confirmed"
    refused = request_from("c3", client)
    assert "Plusieurs demandes" in refused[0]["text"] and "01 00 00 00 00" in refused[0]["text"]
    assert stored(store_url, "c3")["callback"] is None and stored(store_url, "c2")["callback"]
    assert request_from("c4", rate_limits.client_key("198.51.100.8", "s"))[0]["response"] == "utter_callback_confirmed"
    assert request_from("c5", None)[0]["response"] == "utter_callback_confirmed"  # a local tool


def test_trusted_proxies_may_be_networks():
    trusted = ("127.0.0.1", "172.16.0.0/12")
    assert rate_limits.client_address("172.18.0.5", {"x-real-ip": "198.51.100.1"}, trusted) == "198.51.100.1"
    assert rate_limits.came_through_proxy("172.18.0.5", {"x-real-ip": "198.51.100.1"}, trusted)
    assert rate_limits.client_address("203.0.113.9", {"x-real-ip": "198.51.100.1"}, trusted) == "203.0.113.9"


# --- the real client behind proxies, IPv6 --------------------------------------------------------
def test_an_ipv6_client_counts_by_its_64_network():
    trusted = ("127.0.0.1", "::1")
    one = rate_limits.client_address("2001:db8:1:2::1", {}, trusted)
    assert one == "2001:db8:1:2::/64"
    # any address of the same /64 is the same client, behind the proxy too; the next /64 is another
    assert rate_limits.client_address("2001:db8:1:2:ffff:aaaa:bbbb:cccc", {}, trusted) == one
    assert rate_limits.client_address("::1", {"x-real-ip": "2001:DB8:1:2:0:0:0:9"}, trusted) == one
    assert rate_limits.client_address("2001:db8:1:3::1", {}, trusted) == "2001:db8:1:3::/64"
    assert rate_limits.client_address("::ffff:198.51.100.4", {}, trusted) == "198.51.100.4"  # IPv4-mapped
    assert rate_limits.client_address("198.51.100.4", {}, trusted) == "198.51.100.4"
    assert rate_limits.client_key(one, "s") == rate_limits.client_key(rate_limits.counted_as("2001:db8:1:2:3::4"), "s")


# --- new conversations per address -------------------------------------------------------------
def test_fresh_conversations_from_one_address_are_refused_after_the_limit():
    """A new `sender` (REST) or socket session (website) does not reset the counters: one address
    may talk in RATE_LIMIT_NEW_CONVERSATIONS_PER_HOUR distinct conversations an hour."""
    now = [0.0]
    limits = ChatLimits(settings(client_new_conversations_per_hour=3), windows=AsyncWindows(url=""), clock=lambda: now[0])

    async def send(conversation, client):
        return await limits.wait_before(conversation, client)

    async def play():
        results = [await send(f"fresh-{i}", "office") for i in range(5)]
        results.append(await send("fresh-0", "office"))  # an admitted conversation goes on
        results.append(await send("fresh-9", "elsewhere"))  # another address
        results.append(await send("fresh-10", None))  # a local tool: no limit per address
        now[0] = 3600.5  # an hour after the first ones
        results.append(await send("fresh-11", "office"))
        return results

    results = asyncio.run(play())
    assert results[:3] == [None, None, None]
    assert results[3][0] == results[4][0] == "new_conversation" and results[3][1] == pytest.approx(3600)
    assert results[5:] == [None, None, None, None]
    text = rate_limits_reply(*results[3])
    assert "Beaucoup de conversations ont déjà commencé" in text and "60 minutes" in text
    assert "01 00 00 00 00" in text and "@" in text  # a way to reach a person


def rate_limits_reply(which, wait):
    from bot.channels import replies

    return replies.too_fast(which, wait)


def test_new_conversations_are_counted_across_servers_in_redis():
    require_redis()
    client, rule = "test-" + uuid.uuid4().hex, Limit(2, 3600)

    async def play():
        first, second = AsyncWindows(url=REDIS_URL), AsyncWindows(url=REDIS_URL)
        return [
            await first.admit_wait(client, "a", rule, 100),
            await second.admit_wait(client, "b", rule, 101),
            await first.admit_wait(client, "a", rule, 102),  # already admitted
            await second.admit_wait(client, "c", rule, 103),
            await first.admit_wait(client, "c", rule, 3701),  # "a" left the window
        ]

    results = asyncio.run(play())
    assert results[:3] == [0, 0, 0] and results[3] == pytest.approx(3597) and results[4] == 0


def test_the_production_limits_are_those_the_reliability_page_states(monkeypatch):
    """20 messages a minute per conversation and 60 per client address unless set otherwise
    (docs/reliability.md); the servers the tests start allow 30 per conversation
    (tests/support/servers.py), and the end-to-end tests of the limit read it from their settings."""
    from bot import settings as bot_settings

    for name in ("RATE_LIMIT_CONVERSATION_PER_MINUTE", "RATE_LIMIT_CLIENT_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    loaded = bot_settings.load()
    assert (loaded.conversation_messages_per_minute, loaded.client_messages_per_minute) == (20, 60)
    monkeypatch.setenv("RATE_LIMIT_CONVERSATION_PER_MINUTE", "30")
    assert bot_settings.load().conversation_messages_per_minute == 30
