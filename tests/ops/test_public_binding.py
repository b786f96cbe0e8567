"""make run-prod publishes nginx's public port only: Rasa, the action servers, the web app and
nginx's two load balancers stay on 127.0.0.1 even when PUBLIC_BIND_HOST is 0.0.0.0 (a REST call
straight to a Rasa server would skip the public token and nginx's limits); /ready through the public
port says 200 or 503 and nothing more; served over HTTPS unless PUBLIC_TLS=0 (secure cookies, HSTS).

Without starting the deployment: its commands, environments and nginx configuration as run-prod
builds them, and the web app in-process. tests/ops/test_run_prod.py checks the same on the real thing."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from unittest import mock

import pytest
from starlette.testclient import TestClient

from bot import settings as bot_settings
from bot.ops import production, supervisor
from bot.ops.supervisor import free_port
from tests.support.processes import production_environment
from tests.support.servers import settings_for_tests
from tests.support.web_client import web_app


@pytest.fixture
def published(tmp_path, monkeypatch):
    """The environment of a run-prod published on every interface."""
    production_environment(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("PUBLIC_BIND_HOST", "0.0.0.0")
    return monkeypatch


def test_every_internal_server_stays_on_loopback_when_the_public_port_is_published(published):
    settings = production.production_settings()
    layout = production.layout_from_environment(settings)
    commands = production.server_commands(layout, Path("models/model.tar.gz"))

    for name, (command, extra_env) in commands.items():
        if name.startswith("rasa-"):
            assert command[command.index("--interface") + 1] == "127.0.0.1", command
            assert extra_env["ACTION_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        if name == "web":
            assert command[command.index("--host") + 1] == "127.0.0.1", command
            assert extra_env["RASA_API_URL"].startswith("http://127.0.0.1:")
    environment = supervisor.server_environment(production.internal(settings))
    assert environment["SANIC_HOST"] == "127.0.0.1" and environment["BIND_HOST"] == "127.0.0.1"  # the action servers

    config = (layout.run_dir / "nginx.conf").read_text()
    assert re.findall(r"listen (\S+);", config) == ["0.0.0.0:8080", "127.0.0.1:8081", "127.0.0.1:8082"]
    upstreams = re.findall(r"server (\S+) max_fails", config) + re.findall(r"server (\S+);", config)
    assert upstreams and all(address.startswith("127.0.0.1:") for address in upstreams), upstreams
    assert layout.public_url == "http://127.0.0.1:8080"  # how this machine probes it

    secrets = set(bot_settings.secrets_of(settings).values())
    assert not any(word in secrets for command, _ in commands.values() for word in command)


def test_the_ports_are_probed_where_they_will_listen(published):
    for name in ("PUBLIC_PORT", "RASA_PORT", "ACTION_PORT", "WEB_PORT"):  # not the defaults: other tests use them
        published.setenv(name, str(free_port()))
    published.setenv("RASA_SERVERS", "1")
    published.setenv("ACTION_SERVERS", "1")
    layout = production.layout_from_environment(production.production_settings())
    assert layout.public_host == "0.0.0.0"
    probed = []
    with mock.patch.object(socket.socket, "bind", lambda self, address: probed.append(address)):
        production.check_ports_free(layout)
    assert probed[0] == ("0.0.0.0", layout.public_port)
    assert {host for host, _ in probed[1:]} == {"127.0.0.1"} and len(probed) == len(production.named_ports(layout))


def test_run_prod_refuses_a_bind_host_that_would_publish_the_internal_servers(tmp_path, monkeypatch, capsys):
    production_environment(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    assert production.run_forever() == 2
    error = capsys.readouterr().err
    assert "BIND_HOST=0.0.0.0" in error and "PUBLIC_BIND_HOST" in error


def test_the_nginx_public_server_marks_what_it_passes_to_the_web_app():
    config = production.compose_nginx_config()
    public, *internal = config.split("\n    server {")[1:]
    assert f"proxy_set_header {production.PUBLIC_REQUEST_HEADER} 1;" in public
    assert all(production.PUBLIC_REQUEST_HEADER not in server for server in internal)


def test_ready_through_the_public_port_says_the_status_code_only(web):
    """The web app in-process, no Rasa nor action server: 503 either way; the details only directly."""
    direct = web.client.get("/ready")
    assert direct.status_code == 503 and "components" in direct.json()
    public = web.client.get("/ready", headers={production.PUBLIC_REQUEST_HEADER: "1"})
    assert public.status_code == 503
    assert public.json() == {"ready": False}, public.text


def test_run_prod_serves_https_with_secure_cookies_and_hsts_unless_told_otherwise(published, tmp_path):
    settings = production.production_settings()
    assert settings.public_tls and settings.secure_cookies
    client = web_app(settings_for_tests(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, secure_cookies=True)).client
    assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")


def test_public_tls_0_serves_plain_http(published, tmp_path):
    published.setenv("PUBLIC_TLS", "0")
    settings = production.production_settings()
    assert not settings.public_tls and not settings.secure_cookies
    app = web_app(settings_for_tests(f"sqlite:///{tmp_path / 'w.db'}", tmp_path, secure_cookies=False)).app
    assert "Strict-Transport-Security" not in TestClient(app).get("/healthz").headers


def test_bot_run_keeps_its_meaning_for_bind_host(tmp_path, monkeypatch):
    """`bot run` (development): BIND_HOST places its three servers; PUBLIC_TLS is off unless set."""
    production_environment(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    loaded = bot_settings.load()
    assert loaded.bind_host == "0.0.0.0" and not loaded.public_tls and not loaded.secure_cookies
    monkeypatch.setenv("PUBLIC_TLS", "1")
    assert bot_settings.load().secure_cookies


def test_no_server_sends_rasa_telemetry_whatever_the_calling_environment(published):
    """make run and make run-prod: every server (Rasa's above all) runs with RASA_TELEMETRY_ENABLED=false,
    even when the shell that started them says true; so do Rasa's own commands (`bot env`)."""
    published.setenv("RASA_TELEMETRY_ENABLED", "true")
    settings = production.production_settings()
    assert supervisor.server_environment(settings)["RASA_TELEMETRY_ENABLED"] == "false"  # make run
    layout = production.layout_from_environment(settings)
    for name, (_, extra_env) in production.server_commands(layout, Path("models/model.tar.gz")).items():
        environment = {**supervisor.server_environment(production.internal(settings)), **extra_env}
        assert environment["RASA_TELEMETRY_ENABLED"] == "false", name
    assert settings.rasa_environment()["RASA_TELEMETRY_ENABLED"] == "false"
