"""Rasa's calls to the action server reuse their connections (bot/rasa_extensions/patches/
kept_http_sessions.py), and a kept connection the server closed meanwhile (a restart) does not
fail the next call. Against a real aiohttp server on a free port."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.ops.supervisor import free_port
from bot.rasa_extensions.patches import kept_http_sessions


async def _server(port: int, peers: list, bodies: list | None = None):
    """An action server stand-in: keeps each call's peer (and its JSON body, into `bodies`)."""

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        if bodies is not None:
            bodies.append(json.loads(await request.text()))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_action_calls_reuse_one_connection_and_survive_a_server_restart():
    kept_http_sessions.install()
    port, peers = free_port(), []
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="secret")

    async def scenario():
        runner = await _server(port, peers)
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "x"}, method="post") == {"events": [], "responses": []}
        await runner.cleanup()  # the action server restarts: its connections are closed
        runner = await _server(port, peers)
        assert await endpoint.request(json={"next_action": "x"}, method="post") == {"events": [], "responses": []}
        await kept_http_sessions.close_kept()
        await runner.cleanup()

    asyncio.run(scenario())
    assert len(peers) == 4
    assert peers[0] == peers[1] == peers[2]  # one connection for the three calls (Rasa: three)


def test_the_kept_sessions_are_closed_when_the_server_stops_and_forgotten_with_their_loop():
    """The channels' `after_server_stop` closes them (no « Unclosed client session » at exit); the
    sessions of an event loop since closed are not kept for ever."""
    from bot.channels import backend

    kept_http_sessions.install()
    port, peers = free_port(), []
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def serve_once() -> list:
        runner = await _server(port, peers)
        await endpoint.request(json={"next_action": "x"}, method="post")
        loop = asyncio.get_running_loop()
        sessions = [s for (of, _), s in kept_http_sessions._sessions.items() if of is loop]
        await backend.close_sessions(None, loop)
        await runner.cleanup()
        return sessions

    sessions = asyncio.run(serve_once())
    assert sessions and all(session.closed for session in sessions)

    async def left_open() -> None:  # a loop that ends without closing its session
        kept_http_sessions.kept(("test",), aiohttp.ClientSession)

    asyncio.run(left_open())
    assert any(key == ("test",) for _, key in kept_http_sessions._sessions)
    sessions = asyncio.run(serve_once())
    assert all(key != ("test",) for _, key in kept_http_sessions._sessions)


def test_a_call_on_a_kept_connection_the_server_drops_is_sent_once_more_on_a_new_one():
    """The race the retry is for: the server closes an idle kept connection just as a call goes out on
    it (its keep-alive ran out), so the call gets no answer; it is sent again on a new connection."""
    kept_http_sessions.install()
    port, connections = free_port(), []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        answered = 0
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
            )
            await reader.readexactly(length)
            if len(connections) == 1 and answered == 1:  # the first connection's second call: dropped unanswered
                writer.close()
                return
            body = b'{"events": [], "responses": []}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            answered += 1

    async def scenario() -> list:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        answers = [await endpoint.request(json={"next_action": "x"}, method="post") for _ in range(2)]
        await kept_http_sessions.close_kept()
        server.close()
        for writer in connections:
            writer.close()
        return answers

    assert asyncio.run(scenario()) == [{"events": [], "responses": []}] * 2
    assert len(connections) == 2  # the dropped call went out again, on a new connection


def test_an_idle_connection_is_let_go_before_the_servers_keep_alive_closes_it():
    """Sanic (the action server, the Rasa server) closes a connection idle for 5 s; aiohttp kept them
    15 s, so a call could go out on a connection just as the server closed it, and fail with
    « Connection reset by peer » (Rasa then went on without the action's events). Ours are let go
    first; the headers and the basic auth of Rasa's own session are still sent."""
    from sanic.config import DEFAULT_CONFIG

    from bot.web import rasa_api

    assert kept_http_sessions.CLIENT_KEEPALIVE_SECONDS < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
    assert rasa_api.CLIENT_KEEPALIVE_SECONDS < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
    kept_http_sessions.install()
    port, peers, seen = free_port(), [], []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        seen.append((request.headers.get("X-Probe"), request.headers.get("Authorization")))
        return web.json_response({"events": [], "responses": []})

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        endpoint = EndpointConfig(
            f"http://127.0.0.1:{port}/webhook", headers={"X-Probe": "1"}, basic_auth={"username": "u", "password": "p"}
        )
        await endpoint.request(json={}, method="post")
        await endpoint.request(json={}, method="post")
        await asyncio.sleep(kept_http_sessions.CLIENT_KEEPALIVE_SECONDS + 0.5)
        await endpoint.request(json={}, method="post")
        await kept_http_sessions.close_kept()
        await runner.cleanup()

    asyncio.run(scenario())
    assert peers[0] == peers[1] != peers[2]  # reused while busy, a new one after the idle time
    assert seen == [("1", "Basic dTpw")] * 3


def test_the_body_of_a_call_reaches_the_server_as_the_standard_encoder_would_write_it():
    """ujson writes the calls' bodies (the tracker as JSON); what it refuses goes to the standard
    encoder: either way the server reads the same data."""
    port = free_port()
    received: list = []

    async def play():
        runner = await _server(port, [], received)
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            for body in bodies:
                await endpoint.request(json=body, method="post")
            [session] = kept_http_sessions._sessions.values()
            assert session._json_serialize is kept_http_sessions.json_body  # the calls went through it
        finally:
            await kept_http_sessions.close_kept()
            await runner.cleanup()

    bodies = [
        {"tracker": {"events": [{"event": "user", "text": "« C'est ça » / 3 €\n", "timestamp": 1.5, "x": None}]}, "n": 2**40},
        {"value": float("nan")},  # ujson refuses NaN: the standard encoder writes it, as before
        {"big": 2**70},  # over 64 bits: the same
    ]
    kept_http_sessions.install()
    asyncio.run(play())
    assert json.dumps(received[0], sort_keys=True) == json.dumps(bodies[0], sort_keys=True)
    assert str(received[1]["value"]) == "nan" and received[2] == {"big": 2**70}
