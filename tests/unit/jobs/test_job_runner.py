"""Periodic jobs run once across workers (bot/jobs/runner.py, issue 18): each turn of a job is
taken by one conditional UPDATE, on SQLite and PostgreSQL, also by racing workers; the web app
started with two workers runs the daily purge once, not twice."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.ops.supervisor import ServerGroup, web_server_command, web_server_ready
from bot.store import db, job_turns
from bot.store.tables import JobTurn
from tests.support.servers import settings_for_tests

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def turn(url: str, holder: str, now: datetime, name: str = "job") -> bool:
    with db.session(url) as session:
        taken = job_turns.take_turn(session, name, holder, now=now, lease=MINUTE)
        session.commit()
        return taken


def test_a_turn_is_taken_once_per_lease(url):
    assert turn(url, "a", NOW)  # the first turn ever creates the job's row
    assert not turn(url, "b", NOW + timedelta(seconds=30))  # a's turn still runs
    assert turn(url, "b", NOW + MINUTE)  # a's lease is over
    assert not turn(url, "a", NOW + MINUTE + timedelta(seconds=1))
    with db.session(url) as session:
        row = session.get(JobTurn, "job")
        assert (row.holder, row.turns, row.lease_until) == ("b", 2, NOW + 2 * MINUTE)


def test_racing_workers_get_one_turn_between_them(url):
    for now in (NOW, NOW + MINUTE):  # the row's creation, then an expired lease
        start, results = threading.Barrier(6), []

        def worker(index: int, now=now, start=start, results=results) -> None:
            start.wait()
            results.append(turn(url, f"w{index}", now, name="raced"))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True], now


def test_the_web_app_with_two_workers_runs_each_turn_in_one_of_them(url, tmp_path):
    server_settings = settings_for_tests(url, tmp_path)
    group = ServerGroup(settings=server_settings, log_dir=server_settings.var_dir / "logs-two-workers")
    try:
        group.start("web", [*web_server_command(server_settings), "--workers", "2"])
        group.wait_until("web", web_server_ready, 120)
        time.sleep(9)  # the live watcher's turns come every 2 s
    finally:
        group.stop()
    log = (server_settings.var_dir / "logs-two-workers" / "web.log").read_text(encoding="utf-8")
    assert log.count("Started server process") == 2, log  # two workers, each with its job loops
    with db.session(server_settings.database_url) as session:
        turns = {row.name: row for row in session.execute(select(JobTurn)).scalars()}
    assert turns["retention_purge"].turns == 1  # daily: once, not once per worker
    assert turns["mail_send"].turns == 1  # every 10 s
    assert 2 <= turns["live_watch"].turns <= 6  # every 2 s for about 9 s; twice as many without turns
