"""Who the client is behind a TLS proxy: nginx (deploy/nginx.conf.template, as `make run-prod`
renders it) takes the client's address from X-Forwarded-For for requests from TRUSTED_PROXIES only,
keys its limit on it (an IPv6 client by its /64, as bot/rate_limits.py does) and passes it on in
X-Real-IP and X-Forwarded-For; a local tool (loopback, nothing forwarded) stays exempt.

A real nginx on free ports, in front of a small server that echoes the headers it gets (no Rasa).
The same through `bot run-prod` on its default ports: tests/ops/test_run_prod_real_client.py.
"""

from __future__ import annotations

import ipaddress
import json
import random
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bot import rate_limits
from bot.ops import production


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Echo(BaseHTTPRequestHandler):
    """Answers every request with the headers that say who the client is."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps({name: self.headers.get(name) for name in ("x-real-ip", "x-forwarded-for")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def start_nginx(tmp_path, echo: str, trusted_proxies) -> tuple[str, subprocess.Popen]:
    if production.shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (make test installs it: scripts/ensure-nginx)")
    port = free_port()
    config = production.render_nginx(
        run_dir=tmp_path,
        error_log=tmp_path / "error.log",
        access_log=tmp_path / "access.log",
        listen_host="127.0.0.1",
        internal_host="127.0.0.1",
        public_port=port,
        rasa_api_port=free_port(),
        actions_port=free_port(),
        web_server=echo,
        rasa_servers=[echo],
        action_servers=[echo],
        trusted_proxies=trusted_proxies,
    )
    # for this test only: the key nginx limits on, in every answer of the public port
    config = config.replace("server_tokens off;", 'server_tokens off; add_header X-Limit-Key "$chat_limit_key" always;', 1)
    (tmp_path / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"http://127.0.0.1:{port}", process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nginx did not start: {process.stderr.read()}")
            time.sleep(0.1)


@pytest.fixture
def nginx(tmp_path, echo):
    base, process = start_nginx(tmp_path, echo, ("127.0.0.1", "::1"))
    yield base
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=20)


def seen(base: str, forwarded: str | None = None, path: str = "/", method: str = "GET") -> tuple[int, dict, str]:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    response = requests.request(method, base + path, headers=headers, timeout=10)
    body = response.json() if response.status_code == 200 else {}
    return response.status_code, body, response.headers.get("X-Limit-Key", "")


def test_nginx_names_the_client_from_x_forwarded_for_of_a_trusted_proxy(nginx):
    # a local tool: itself, exempt from nginx's limit (an empty key)
    assert seen(nginx) == (200, {"x-real-ip": "127.0.0.1", "x-forwarded-for": "127.0.0.1"}, "")
    # behind the TLS proxy (loopback here): the address it forwards, to every upstream
    for path in ("/", "/webhooks/rest/webhook", "/socket.io/"):
        code, headers, key = seen(nginx, "203.0.113.7", path, "POST" if path.startswith("/webhooks") else "GET")
        assert (code, headers, key) == (200, {"x-real-ip": "203.0.113.7", "x-forwarded-for": "203.0.113.7"}, "203.0.113.7")
    # what the client wrote before the proxy appended its address is not believed; a chain of trusted proxies is walked
    assert seen(nginx, "198.51.100.66, 203.0.113.7")[1]["x-real-ip"] == "203.0.113.7"
    assert seen(nginx, "203.0.113.7, 127.0.0.1")[1]["x-real-ip"] == "203.0.113.7"
    assert seen(nginx, "not an address")[1]["x-real-ip"] == "127.0.0.1"


def test_one_forwarded_client_is_limited_and_another_one_is_served(nginx):
    """80 requests at once from one forwarded address: some refused (429); another address and
    a local tool are served. Before, every client behind the proxy was the exempt loopback."""
    codes = [seen(nginx, "203.0.113.7", "/webhooks/rest/webhook", "POST")[0] for _ in range(80)]
    assert codes.count(429) >= 20 and codes[:50] == [200] * 50, codes
    assert seen(nginx, "203.0.113.8", "/webhooks/rest/webhook", "POST")[0] == 200
    assert {seen(nginx, None, "/webhooks/rest/webhook", "POST")[0] for _ in range(80)} == {200}


def test_an_untrusted_peer_cannot_choose_its_address(tmp_path, echo):
    base, process = start_nginx(tmp_path, echo, ("192.0.2.1",))  # the TLS proxy is elsewhere
    try:
        assert seen(base, "203.0.113.7") == (200, {"x-real-ip": "127.0.0.1", "x-forwarded-for": "127.0.0.1"}, "")
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=20)


def sparse_ipv6(rng: random.Random) -> ipaddress.IPv6Address:
    """An address with runs of zero groups anywhere (every way nginx can shorten it with "::")."""
    groups = [0 if rng.random() < 0.5 else rng.choice([1, 0xA, 0xDB8, 0xFFFF, rng.randrange(1, 0x10000)]) for _ in range(8)]
    groups[0] = groups[0] or 0x2001  # a global address, not loopback or IPv4-mapped
    return ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))


def test_an_ipv6_client_counts_by_its_64_in_nginx_as_in_the_app(nginx):
    rng = random.Random(64)
    addresses = [sparse_ipv6(rng) for _ in range(300)]
    addresses += [ipaddress.IPv6Address(a) for a in ("2001::", "2001:0:0:1:2:3:4:5", "2001::1:2:3:4:5", "2001:db8::1")]
    session = requests.Session()
    for address in addresses:
        response = session.get(nginx + "/", headers={"X-Forwarded-For": str(address)}, timeout=10)
        key = response.headers["X-Limit-Key"]
        network = int(address) >> 64
        assert [int(g, 16) for g in key.split(":")] == [(network >> s) & 0xFFFF for s in (48, 32, 16, 0)], (address, key)
        assert rate_limits.counted_as(response.json()["x-real-ip"]) == str(ipaddress.ip_network(f"{address}/64", strict=False))
    # two addresses of one /64 share a key; the next /64 does not
    keys = [seen(nginx, a)[2] for a in ("2001:db8:1:2::1", "2001:db8:1:2:ff::9", "2001:db8:1:3::1")]
    assert keys[0] == keys[1] != keys[2]
    assert seen(nginx, "::ffff:198.51.100.4")[2] == "198.51.100.4"


def test_trusted_proxies_that_are_not_addresses_never_reach_nginx():
    assert production.real_ip_from(("127.0.0.1", "::1", "10.0.0.0/8")) == (
        "set_real_ip_from 127.0.0.1/32; set_real_ip_from ::1/128; set_real_ip_from 10.0.0.0/8;"
    )
    with pytest.raises(production.LayoutError, match="TRUSTED_PROXIES"):
        production.real_ip_from(("127.0.0.1; include /etc/passwd",))
