"""make run-prod's layout and its supervision, without starting the deployment: the ports derived
from the settings as a user has them, the check that names two colliding settings, and the
restarter on real child processes (a clock injected, so the back-off is checked without waiting)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

import pytest

from bot import settings as bot_settings
from bot.ops import production, restarts
from bot.ops.supervisor import ServerGroup
from bot.settings import Settings
from tests.support.processes import PORT_SETTINGS, PUBLISHER_ENVIRONMENT


@pytest.fixture
def user_environment(monkeypatch, tmp_path):
    """The environment a user has: none of the port settings set."""
    for name in PORT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return monkeypatch


def test_default_layout_has_every_port_once(user_environment):
    layout = production.layout_from_environment(bot_settings.load())
    production.check_layout(layout)  # raises on a collision
    ports = dict(production.named_ports(layout))
    assert sorted(ports.values()) == [5005, 5006, 5055, 5056, 8000, 8080, 8081, 8082]
    assert layout.rasa_api_port == 8081 and layout.actions_port == 8082


def test_the_collision_of_the_old_default_is_gone(user_environment):
    """RASA_PORT+50 (nginx for Rasa's API) was 5055, ACTION_PORT's default: actions-0 could not start."""
    layout = production.layout_from_environment(bot_settings.load())
    assert 5055 in layout.action_ports and 5055 not in (layout.rasa_api_port, layout.actions_port)


def test_a_collision_names_both_settings(user_environment):
    user_environment.setenv("WEB_PORT", "8081")
    layout = production.layout_from_environment(bot_settings.load())
    with pytest.raises(production.LayoutError) as error:
        production.check_layout(layout)
    message = str(error.value)
    assert "8081" in message and "PUBLIC_PORT+1" in message and "WEB_PORT" in message


def test_more_rasa_servers_than_room_before_the_action_ports(user_environment):
    user_environment.setenv("RASA_SERVERS", "60")  # 5005…5064 runs into ACTION_PORT 5055
    layout = production.layout_from_environment(bot_settings.load())
    with pytest.raises(production.LayoutError, match=r"RASA_PORT\+50 .*ACTION_PORT \("):
        production.check_layout(layout)


def test_a_port_out_of_range(user_environment):
    user_environment.setenv("PUBLIC_PORT", "65535")  # its load balancers would be 65536, 65537
    layout = production.layout_from_environment(bot_settings.load())
    with pytest.raises(production.LayoutError, match="PUBLIC_PORT\\+1 .* is 65536"):
        production.check_layout(layout)


def test_a_busy_port_is_named_before_anything_starts(user_environment):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        user_environment.setenv("WEB_PORT", str(holder.getsockname()[1]))
        layout = production.layout_from_environment(bot_settings.load())
        with pytest.raises(production.LayoutError, match="WEB_PORT .* already in use"):
            production.check_ports_free(layout)


# --- the restarter, on real processes --------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_dead(process, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def group(tmp_path):
    settings = Settings(
        bind_host="127.0.0.1",
        rasa_port=1,
        action_port=2,
        web_port=3,
        rasa_token="t",
        conversation_secret="s",
        database_url="sqlite://",
        var_dir=tmp_path,
        allowed_origins=(),
        public_socket_url="",
    )
    servers = ServerGroup(settings=settings, log_dir=tmp_path / "logs")
    yield servers
    servers.stop(grace=2)


def test_a_killed_process_is_restarted_after_its_back_off_and_the_others_keep_running(group, tmp_path):
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    group.start("rasa-0", sleeper)
    group.start("rasa-1", sleeper)
    clock, said = Clock(), []
    keeper = restarts.Restarter(group, {}, clock=clock, say=said.append, state_path=tmp_path / "state.json")
    victim, other = group.processes["rasa-0"], group.processes["rasa-1"]
    victim.send_signal(signal.SIGKILL)
    wait_dead(victim)

    keeper.tick()
    assert said == [
        f"rasa-0 (pid {victim.pid}) died (killed by SIGKILL); the others keep serving; restart in 1 s. "
        f"See {group.log_dir / 'rasa-0.log'}"
    ]
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["processes"]["rasa-0"]["status"] == "waiting"
    keeper.tick()
    assert group.processes["rasa-0"] is victim  # not before its back-off
    clock.now += 1
    keeper.tick()
    restarted = group.processes["rasa-0"]
    assert restarted.pid != victim.pid and restarted.poll() is None
    assert other.poll() is None and group.processes["rasa-1"] is other  # the other one was left alone
    keeper.tick()  # no probe given: answers at once
    assert said[1:] == [f"rasa-0 restarted (pid {restarted.pid}, restart 1)", "rasa-0 answers again, 1.0 s after it died"]
    state = json.loads((tmp_path / "state.json").read_text())["processes"]["rasa-0"]
    assert state == {"pid": restarted.pid, "status": "running", "restarts": 1, "last_exit": "killed by SIGKILL"}


def test_the_back_off_doubles_while_a_process_keeps_dying(group):
    group.start("web", [sys.executable, "-c", "raise SystemExit(3)"])
    clock, said = Clock(), []
    keeper = restarts.Restarter(group, {}, policy=restarts.Policy(loop_crashes=10), clock=clock, say=said.append)
    delays = []
    for _ in range(4):
        wait_dead(group.processes["web"])
        keeper.tick()
        delays.append(keeper.watches["web"].restart_at - clock.now)
        clock.now += delays[-1]
        keeper.tick()  # restarts it
    assert delays == [1, 2, 4, 8]
    assert "died (exit code 3)" in said[0]


def test_a_crash_loop_stops_with_a_message_naming_the_process(group):
    group.start("actions-1", [sys.executable, "-c", "raise SystemExit(1)"])
    group.start("rasa-0", [sys.executable, "-c", "import time; time.sleep(600)"])
    clock = Clock()
    keeper = restarts.Restarter(
        group, {}, policy=restarts.Policy(loop_crashes=3, loop_window=60), clock=clock, say=lambda _m: None
    )
    with pytest.raises(restarts.CrashLoop) as error:
        for _ in range(10):
            wait_dead(group.processes["actions-1"])
            keeper.tick()
            clock.now += 5
            keeper.tick()
    assert str(error.value).startswith("actions-1 crashed 3 times within 60 s (last: exit code 1): a crash loop")
    assert group.processes["rasa-0"].poll() is None  # the deployment is stopped by run_forever, not here


def test_crashes_far_apart_are_not_a_loop(group):
    group.start("nginx", [sys.executable, "-c", "raise SystemExit(1)"])
    clock = Clock()
    keeper = restarts.Restarter(
        group, {}, policy=restarts.Policy(loop_crashes=2, loop_window=60), clock=clock, say=lambda _m: None
    )
    for _ in range(3):
        wait_dead(group.processes["nginx"])
        keeper.tick()
        clock.now += 61
        keeper.tick()
    assert keeper.watches["nginx"].restarts == 3


def test_a_port_that_is_not_a_number(user_environment):
    user_environment.setenv("PUBLIC_PORT", "80a")
    with pytest.raises(production.LayoutError, match="PUBLIC_PORT must be a whole number, got '80a'"):
        production.layout_from_environment(bot_settings.load())


def test_run_prod_refuses_to_start_on_a_collision_and_says_why(tmp_path):
    """Through the real entry point: nothing is started, the message names both settings."""
    import os
    import subprocess

    from bot import paths

    env = {k: v for k, v in os.environ.items() if k not in PORT_SETTINGS}
    env.update(WEB_PORT="8082", BOT_VAR_DIR=str(tmp_path), DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    env.update(PUBLISHER_ENVIRONMENT)  # a deployment complete but for its ports
    result = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "run-prod"], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "Cannot start: Port 8082 is used twice: by PUBLIC_PORT+2 (nginx, load balancer for the action servers) "
        "and by WEB_PORT (web app)."
    ) in result.stderr
    assert not (tmp_path / "prod").exists()  # nothing started


def niceness_of_every_thread(pid: int) -> set[int]:
    return {os.getpriority(os.PRIO_PROCESS, int(thread)) for thread in os.listdir(f"/proc/{pid}/task")}


def test_a_restarted_server_loads_at_a_lower_priority_and_gets_it_back_when_it_answers(group):
    """A Rasa server restarted after a crash loads TensorFlow for a minute on the CPU the surviving
    server needs: it starts at a lower priority, and every thread of it goes back to the normal one
    when its probe answers (or it says why it cannot, as an ordinary user)."""
    threads = [
        sys.executable,
        "-c",
        "import threading, time\n[threading.Thread(target=time.sleep, args=(600,)).start() for _ in range(3)]\ntime.sleep(600)",
    ]
    group.start("rasa-0", threads)
    answering = {"rasa-0": False}
    clock, said = Clock(), []
    keeper = restarts.Restarter(
        group, {"rasa-0": lambda: answering["rasa-0"]}, clock=clock, say=said.append, loading_niceness={"rasa-0": 10}
    )
    victim = group.processes["rasa-0"]
    victim.send_signal(signal.SIGKILL)
    wait_dead(victim)
    keeper.tick()
    clock.now += 1
    keeper.tick()
    restarted = group.processes["rasa-0"]
    time.sleep(0.5)  # its threads started
    assert niceness_of_every_thread(restarted.pid) == {os.getpriority(os.PRIO_PROCESS, 0) + 10}
    assert said[-1] == f"rasa-0 restarted (pid {restarted.pid}, restart 1, at lower priority until it answers)"
    keeper.tick()
    assert keeper.watches["rasa-0"].status == "starting"  # not answering yet: still low
    answering["rasa-0"] = True
    keeper.tick()
    if os.geteuid() == 0:
        assert niceness_of_every_thread(restarted.pid) == {0}
    else:
        assert said[-1] == "rasa-0 keeps its lower priority (raising it back needs root)"
