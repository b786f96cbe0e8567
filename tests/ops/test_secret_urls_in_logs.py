"""No secret link in any log, and no forged log line (bot/log_redaction.py).

Fast tests: every route of the web app that carries a token is in the one list of secret paths,
which masks it in Python's log records, in the lines the supervisors copy into var/logs, and in
nginx's `map $uri $logged_uri`; a sender or X-Request-ID with a line feed cannot start a log line.
nginx's error log (the request line of a failed upstream) goes through the same masking writer.
The same on `bot run-prod` itself, on its default ports, is in tests/ops/test_run_prod.py (it shares
that module's deployment: a run-prod start costs a minute).
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
import pkgutil
import re
import secrets
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from starlette.routing import Mount, Route

import bot.web
from bot import log_redaction
from bot.channels import backend, rest
from bot.log_redaction import mask_secrets
from bot.ops import production
from bot.ops.log_files import RotatingLog
from tests.support.servers import offline_settings as unit_settings

FAKE_LINE = "2026-12-07 10:00:00 INFO     bot.web.console  - admin@example.org logged in"


def web_routes() -> list[str]:
    """The path of every route of every module of bot/web (what create_app serves)."""
    paths = []
    for module_info in pkgutil.iter_modules(bot.web.__path__):
        module = importlib.import_module(f"bot.web.{module_info.name}")
        for route in getattr(module, "routes", []):
            if isinstance(route, Route):
                paths.append(route.path)
            elif isinstance(route, Mount):
                paths.extend(route.path + getattr(sub, "path", "") for sub in route.routes)
    return paths


def with_parameters(path: str, value: str) -> str:
    """The route's path with each {parameter} (typed or not) replaced by `value`."""
    return re.sub(r"\{[^}]+\}", value, path)


def nginx_logged_uri(uri: str) -> str:
    """What nginx's `map $uri $logged_uri` (as bot/ops/production.py writes it) gives for `uri`:
    its regular expressions read by Python's re (the same syntax here, named groups aside)."""
    for pattern, value in re.findall(r'"~\*(.+?)" "(.+?)";', log_redaction.nginx_logged_uri_map()):
        match = re.match(pattern.replace("(?<", "(?P<"), uri, re.IGNORECASE)
        if match:
            return re.sub(r"\$(\w+)", lambda m, found=match: found[m.group(1)], value)
    return uri


def test_every_route_with_a_token_is_masked_in_python_logs_and_in_nginx_map():
    token = secrets.token_urlsafe(24)
    secret_routes = [path for path in web_routes() if "{token" in path]
    assert {"/mediateurs/mot-de-passe/{token}", "/rendez-vous/{token}/annuler", "/calendrier/{token}.ics"} <= set(
        secret_routes
    ), secret_routes
    for path in secret_routes:
        url = with_parameters(path, token)
        for logged in (mask_secrets(url), mask_secrets(f'127.0.0.1:5 - "GET {url} HTTP/1.1" 200'), nginx_logged_uri(url)):
            assert token not in logged and log_redaction.MASK in logged, (path, logged)
        assert mask_secrets(f"http://localhost:8000{url}?x=1") == f"http://localhost:8000{nginx_logged_uri(url)}?x=1"
    # every secret path is a route (the list has nothing stale)
    for secret in log_redaction.SECRET_PATHS:
        assert any(path.startswith(secret.prefix) for path in secret_routes), secret
    # and what carries no secret stays readable
    for path in web_routes():
        if "{token" not in path:
            url = with_parameters(path, "12")
            assert mask_secrets(url) == url and nginx_logged_uri(url) == url, path


def test_mask_secrets_in_free_text():
    assert mask_secrets("GET /rendez-vous/Ab.c-d_9/deplacer?fait=1") == "GET /rendez-vous/***/deplacer?fait=1"
    assert mask_secrets("/mediateurs/mot-de-passe/eyJ.x-1") == "/mediateurs/mot-de-passe/***"
    assert mask_secrets('"https://tpe.example.org/calendrier/Qw3.ics"') == '"https://tpe.example.org/calendrier/***"'
    assert mask_secrets("/status?token=s3cret&x=1") == "/status?token=***&x=1"
    assert mask_secrets("/socket.io/?EIO=4&transport=polling&sid=AbCd") == "/socket.io/?EIO=4&transport=polling&sid=***"
    conversation = "0123456789abcdef" * 2
    assert mask_secrets(f"session {conversation}.{'f' * 32}") == f"session {conversation}.***"
    # not secrets: a console appointment's reference, the « forgotten password » form
    for kept in ("/mediateurs/rendez-vous/RDV-12/annuler", "/mediateurs/mot-de-passe-oublie", "mytoken=1"):
        assert mask_secrets(kept) == kept


def test_escape_for_log():
    assert log_redaction.escape_for_log("abc\r\n" + FAKE_LINE) == "abc\\r\\n" + FAKE_LINE
    long = "é" * 300
    assert log_redaction.escape_for_log(long) == "é" * 120 + "…(300 chars)"
    assert log_redaction.escape_for_log("a\x1b[31mb\u2028c\td") == "a\\x1b[31mb\\u2028c\\td"
    assert log_redaction.escape_for_log("Café crème 12") == "Café crème 12"


@pytest.fixture
def redacting_factory():
    previous = logging.getLogRecordFactory()
    log_redaction.install()
    log_redaction.install()  # idempotent
    yield
    logging.setLogRecordFactory(previous)


def capture(logger_name: str, fmt: str = "%(levelname)s %(name)s %(message)s") -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(fmt))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return stream


def test_every_record_of_a_process_is_redacted(redacting_factory):
    """uvicorn's access log (its formatter reads the arguments), any logger, any handler."""
    token = secrets.token_urlsafe(16)
    stream = capture("redaction-test.access", "%(message)s")
    logger = logging.getLogger("redaction-test.access")
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "POST", f"/rendez-vous/{token}/annuler", "1.1", 303)
    logger.info(f"visited /mediateurs/mot-de-passe/{token}")  # in the message itself too
    logger.info("sender %s", "x\n" + FAKE_LINE)
    lines = stream.getvalue().splitlines()
    assert lines == [
        '127.0.0.1:5 - "POST /rendez-vous/***/annuler HTTP/1.1" 303',
        "visited /mediateurs/mot-de-passe/***",
        "sender x\\n" + FAKE_LINE,
    ]


def test_uvicorn_access_log_formatter_still_works(redacting_factory):
    from uvicorn.logging import AccessFormatter

    record = logging.getLogRecordFactory()(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/calendrier/Zz9.ics", "1.1", 200),
        None,
    )
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(record)
    assert line == "1.2.3.4:5 GET /calendrier/*** HTTP/1.1 200 OK"


def rest_webhook(on_new_message):
    channel = rest.CheckedRestInput.__new__(rest.CheckedRestInput)  # without install(): no Rasa here
    channel.settings, channel.limits = unit_settings(), None
    blueprint = channel.blueprint(on_new_message)
    return next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")


def test_a_sender_with_a_line_feed_writes_one_log_line(monkeypatch):
    async def fails(_message: UserMessage):
        raise RuntimeError("tracker store away")

    async def up() -> bool:
        return False

    monkeypatch.setattr(backend, "is_down", up)
    stream = capture("bot.channels.rest")
    request = SimpleNamespace(ip="127.0.0.1", headers={}, json={"sender": "x\n" + FAKE_LINE, "message": "bonjour"})
    asyncio.run(rest_webhook(fails)(request))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "ERROR bot.channels.rest message of x\\n" + FAKE_LINE + " not processed", lines
    assert not any(line.startswith(FAKE_LINE[:10]) for line in lines), lines


def test_an_x_request_id_with_a_line_feed_is_not_a_message_id():
    good = "0123456789abcdef0123456789abcdef"
    assert rest._request_id(SimpleNamespace(headers={"x-request-id": good})) == good
    assert rest._request_id(SimpleNamespace(headers={"x-request-id": good + "\n"})) is None


def test_supervised_server_logs_are_masked_even_a_line_written_in_pieces(tmp_path):
    token = secrets.token_urlsafe(16)
    log = RotatingLog(tmp_path / "web.log")
    log.start()
    script = (
        "import sys, time\n"
        f"sys.stdout.write('GET /rendez-vous/{token[:8]}'); sys.stdout.flush(); time.sleep(0.3)\n"
        f"sys.stdout.write('{token[8:]}/annuler 200\\nTraceback: http://h/calendrier/{token}.ics\\n'); sys.stdout.flush()\n"
        f"sys.stdout.write('no end /mediateurs/mot-de-passe/{token}')\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=log.write_fd, stderr=subprocess.STDOUT)
    log.child_started()
    writer.wait(timeout=30)
    log.join(timeout=30)
    assert (tmp_path / "web.log").read_text() == (
        "GET /rendez-vous/***/annuler 200\nTraceback: http://h/calendrier/***\nno end /mediateurs/mot-de-passe/***"
    )


def test_nginx_configuration_masks_every_secret_path(tmp_path):
    """The rendered map is valid for nginx (`nginx -t`, when nginx is installed)."""
    layout = production.layout_from_environment(unit_settings(var_dir=tmp_path))
    config = production.nginx_config(layout).read_text()
    for secret in log_redaction.SECRET_PATHS:
        assert f'"{secret.prefix}{log_redaction.MASK}$logged_uri_rest";' in config
    if production.shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (make test installs it: scripts/ensure-nginx)")
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(layout.run_dir), "-c", str(layout.run_dir / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_nginx_error_log_is_masked_when_an_upstream_fails(tmp_path, monkeypatch):
    """nginx started as run-prod starts it (its configuration and command line), the web app down:
    the error line names the request (`request: "GET /rendez-vous/<token> …"`, `upstream: …`), and
    reaches logs/nginx.log through the supervisor's masking writer, never a file of nginx's own."""
    from bot.ops.supervisor import free_port

    if production.shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (make test installs it: scripts/ensure-nginx)")
    for _attempt in range(20):  # PUBLIC_PORT is free, and so must be the ports nginx derives from it
        monkeypatch.setenv("PUBLIC_PORT", str(free_port()))
        layout = production.layout_from_environment(unit_settings(var_dir=tmp_path, web_port=free_port()))  # nobody there
        try:
            production.check_ports_free(layout)
            break
        except production.LayoutError:
            continue  # seen in CI: nginx exited, one of PUBLIC_PORT+1… held by another test's server
    log = RotatingLog(layout.run_dir / "logs" / "nginx.log")
    log.start()
    nginx = subprocess.Popen(
        production.nginx_command(layout.run_dir, production.nginx_config(layout)), stdout=log.write_fd, stderr=subprocess.STDOUT
    )
    log.child_started()
    token = secrets.token_urlsafe(24)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(f"{layout.public_url}/rendez-vous/{token}?fait=1", timeout=10)
                break
            except requests.ConnectionError:
                assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        assert answer.status_code == 502
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        log.join(timeout=20)
    written = {path.name: path.read_text(errors="replace") for path in layout.run_dir.rglob("*") if path.is_file()}
    errors = written["nginx.log"]
    assert 'request: "GET /rendez-vous/***?fait=1 HTTP/1.1"' in errors and "upstream:" in errors, errors
    for name, text in written.items():
        assert token not in text, (name, [line for line in text.splitlines() if token in line])
    assert not any("error" in name and name != "nginx.log" for name in written), sorted(written)
