"""`bot run` starts both servers, says it is ready, and stops both cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

from bot import paths
from bot.ops.supervisor import free_port
from tests.support.processes import assert_no_secret_in, command_lines, descendants


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_bot_run_is_ready_then_stops_on_ctrl_c(tmp_path, model):
    rasa_port, action_port = free_port(), free_port()
    env = dict(
        os.environ,
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        BOT_VAR_DIR=str(tmp_path),
        RASA_TOKEN="supervisor-test-" + uuid.uuid4().hex,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.cli", "run"],
        cwd=paths.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read_output():
        for line in iter(process.stdout.readline, ""):
            lines.append(line)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while not any("Press Ctrl-C to stop." in line for line in lines):
            if time.monotonic() > deadline or process.poll() is not None:
                break
            time.sleep(0.5)
        output = "".join(lines)
        assert "Ready." in output, output
        assert f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook" in output
        assert port_open(rasa_port) and port_open(action_port)
        # no secret on the servers' command lines (ps shows them to every user of the machine)
        generated = [
            (tmp_path / name.lower()).read_text().strip()
            for name in ("CONVERSATION_SECRET", "SESSION_SECRET", "ACTION_SERVER_TOKEN")
        ]
        assert_no_secret_in(command_lines(descendants(process.pid)), [env["RASA_TOKEN"], *generated])

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, "".join(lines)
        reader.join(timeout=10)
        assert "Stopped." in "".join(lines)
        assert not port_open(rasa_port) and not port_open(action_port)
    finally:
        if process.poll() is None:
            process.kill()
