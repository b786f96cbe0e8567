"""deploy/: the example for several machines is complete and consistent with make run-prod.

No container engine runs here, so the images are not built and the compose file is not started;
these tests check what can be checked without one: the YAML, that every file it and the Dockerfile
refer to exists, that nginx's configuration is the run-prod template rendered for its services,
and that the services, ports and environment match that configuration.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import time

import pytest
import yaml

from bot import paths
from bot.ops import production

DEPLOY = paths.ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.example.yml").read_text())


def test_the_compose_file_has_the_run_prod_layout(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "rasa-0", "rasa-1", "actions-0", "actions-1", "web", "nginx"}
    for name in ("rasa-0", "rasa-1", "actions-0", "actions-1", "web"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert services[name]["restart"] == "unless-stopped", name  # a dead container comes back
    assert services["nginx"]["restart"] == "unless-stopped"


def test_every_file_the_compose_file_names_exists(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert context == paths.ROOT
            assert (context / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), (name, source)
        command = service.get("command") or []
        words = shlex.split(command[-1]) if command[:2] == ["sh", "-c"] else command
        for word in words:
            if re.fullmatch(r"[\w./-]+\.(yml|yaml|py)", word):
                assert (paths.ROOT / word).is_file(), (name, word)  # the image's WORKDIR is the repository
    assert (DEPLOY / "example.env").is_file()


def test_every_secret_the_compose_file_uses_is_in_the_example_env(compose):
    used = set(re.findall(r"\$\{(\w+)(?::?[?-][^}]*)?\}", (DEPLOY / "docker-compose.example.yml").read_text()))
    listed = {
        line.split("=")[0] for line in (DEPLOY / "example.env").read_text().splitlines() if line and not line.startswith("#")
    }
    assert used == listed


def test_every_file_the_dockerfile_copies_exists():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copies = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    for sources in copies:
        for source in sources:
            if source.startswith("--"):
                continue
            assert (paths.ROOT / source).exists(), source
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", "node_modules", "models", "var"} <= set(ignored)
    assert "bot train" in dockerfile  # the model is in the image, as make run-prod trains it


def test_nginx_compose_conf_is_the_run_prod_template_rendered_for_the_services(compose):
    assert (
        (DEPLOY / "nginx.compose.conf").read_text() == production.compose_nginx_config()
    ), "deploy/nginx.compose.conf is stale: python -m bot.ops.production compose-nginx > deploy/nginx.compose.conf"
    config = (DEPLOY / "nginx.compose.conf").read_text()
    upstream_hosts = set(re.findall(r"server ([\w-]+):(\d+)", config))
    services = compose["services"]
    for host, port in upstream_hosts:
        assert host in services, host
        command = services[host]["command"]
        words = shlex.split(command[-1]) if command[:2] == ["sh", "-c"] else command
        assert words[words.index("--port") + 1] == port, (host, port)
    # the servers reach nginx's load balancers on the ports nginx listens on
    listened = set(re.findall(r"listen 0\.0\.0\.0:(\d+);", config))
    assert listened == {"8080", "8081", "8082"}
    assert services["rasa-0"]["environment"]["ACTION_ENDPOINT_URL"] == "http://nginx:8082/webhook"
    assert services["web"]["environment"]["RASA_API_URL"] == "http://nginx:8081"
    assert services["nginx"]["ports"] == ["8080:8080"]


def test_the_rasa_services_use_the_run_prod_endpoints(compose):
    environment = compose["services"]["rasa-1"]["environment"]
    endpoints = (DEPLOY / "endpoints.prod.yml").read_text()
    for variable in set(re.findall(r"\$\{(\w+)\}", endpoints)):
        assert variable in environment, variable
    assert environment["RASA_TOKEN"].startswith("${RASA_TOKEN:?")
    assert compose["services"]["actions-1"]["environment"]["ACTION_REPLAY_REDIS_URL"].startswith(
        "redis://:${REDIS_PASSWORD}@redis:"
    )


def test_redis_wants_a_password_and_every_client_in_the_compose_file_gives_it(compose):
    """Without one, anything on the network could read the socket.io queue, write to it, or take
    conversations' locks (tests/ops/test_redis_security.py: the same clients against a real Redis)."""
    services = compose["services"]
    # compose refuses to start without it; the container reads it from its environment (see below)
    assert services["redis"]["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    urls = {
        (name, key): value
        for name, service in services.items()
        for key, value in (service.get("environment") or {}).items()
        if isinstance(value, str) and re.match(r"rediss?://", value)
    }
    assert {key for _, key in urls} >= {"REDIS_URL", "SOCKETIO_REDIS_URL", "RATE_LIMIT_REDIS_URL", "ACTION_REPLAY_REDIS_URL"}
    for where, url in urls.items():
        assert url.startswith("redis://:${REDIS_PASSWORD}@redis:"), where
    for name, service in services.items():
        if "REDIS_HOST" in (service.get("environment") or {}):  # Rasa's lock store: host and password apart
            assert service["environment"]["REDIS_PASSWORD"] == "${REDIS_PASSWORD}", name
    lock_store = yaml.safe_load((DEPLOY / "endpoints.prod.yml").read_text())["lock_store"]
    assert lock_store["password"] == "${REDIS_PASSWORD}"


# --- secrets: none in the repository, none in the image, none on a command line ------------------

SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "CONVERSATION_SECRET", "SESSION_SECRET", "RASA_TOKEN", "ACTION_SERVER_TOKEN")


def test_the_example_env_holds_no_usable_secret_and_compose_refuses_to_start_without_each():
    """deploy/example.env used to hold `change-me`, which a copy kept: with SESSION_SECRET=change-me
    anyone could sign an admin's console session. Empty now, and compose stops on an empty one."""
    values = dict(
        line.split("=", 1) for line in (DEPLOY / "example.env").read_text().splitlines() if line and not line.startswith("#")
    )
    for name in (*SECRETS, "SMTP_URL"):
        assert values[name] == "", name
    compose_text = (DEPLOY / "docker-compose.example.yml").read_text()
    for name in SECRETS:
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", compose_text), f"compose must refuse to start without {name}"


def test_the_app_containers_check_the_database_password_too(compose):
    """Compose only refuses an empty value; our containers refuse a short or placeholder one."""
    for name in ("web", "rasa-0", "actions-0"):
        assert compose["services"][name]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?"), name


def test_no_secret_is_on_a_command_line_of_the_compose_file(compose):
    """ps shows a process's arguments to every user of the machine (and /proc/<pid>/cmdline)."""
    for name, service in compose["services"].items():
        words = " ".join(service.get("command") or [])
        assert "--auth-token" not in words and "--requirepass" not in words, name
        for secret in SECRETS:  # compose writes a `${…}` into the command line itself; `$${…}` is sh's, at run time
            assert not re.search(r"(?<!\$)\$\{?" + secret, words), (name, secret)
        if name != "redis":
            for secret in SECRETS:
                assert secret not in words, (name, secret)
    rasa = compose["services"]["rasa-0"]["command"]
    assert rasa[:5] == ["python", "-m", "bot.rasa_extensions.rasa_server", "run", "--model"]


def test_the_redis_container_takes_its_password_without_a_command_line(compose, tmp_path):
    """The redis service's own script, run here as its container would run it (the paths of the
    image's tmpfs and entrypoint replaced): redis-server asks for the password, and neither its
    command line nor its environment holds it, nor any command the script runs (sh's printf is a builtin)."""
    import redis

    from bot.ops.supervisor import free_port

    if production.shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    service = compose["services"]["redis"]
    assert service["tmpfs"] == ["/run/redis"] and service["command"][:2] == ["sh", "-c"]
    password, port = "x" * 8 + secrets.token_urlsafe(32), free_port()
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for stub, body in {"docker-entrypoint.sh": 'exec "$@"', "chown": "exit 0"}.items():  # the image's, and root's
        (stubs / stub).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / stub).chmod(0o755)
    script = (
        service["command"][2]
        .replace("$$", "$")  # compose's escape of a literal $
        .replace("/run/redis/", f"{tmp_path}/")
        .replace("--appendonly no", f"--appendonly no --port {port} --bind 127.0.0.1 --dir {tmp_path}")
    )
    environment = {**os.environ, "REDIS_PASSWORD": password, "PATH": f"{stubs}:{os.environ['PATH']}"}
    process = subprocess.Popen(["sh", "-c", script], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert redis.Redis(port=port, password=password, socket_timeout=2).ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, socket_timeout=2).ping()
        proc = f"/proc/{process.pid}"  # sh exec'ed redis-server: the same process
        assert b"redis-server" in open(f"{proc}/cmdline", "rb").read()
        for what in ("cmdline", "environ"):
            assert password.encode() not in open(f"{proc}/{what}", "rb").read(), what
        assert (tmp_path / "redis.conf").stat().st_mode & 0o077 == 0
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_env_files_stay_out_of_the_repository_and_the_image():
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=paths.ROOT)
    assert ignored.returncode == 0, "deploy/.env must be ignored by git"
    dockerignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".env", "**/.env"} <= set(dockerignore)
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    sources = {source for sources in copied for source in sources if not source.startswith("--")}
    assert "." not in sources, "the image copies only what it runs, never the whole build context"
    assert {"bot", "actions", "data", "domain.yml", "config.yml", "deploy/endpoints.prod.yml"} <= sources
