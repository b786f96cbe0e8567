"""The embedded SQLite file keeps its connections (bot/store/db.py): sessions reuse them, each still with
its PRAGMAs, and more sessions at once than the pool keeps never wait for one."""

from __future__ import annotations

import threading

from sqlalchemy import event, text

from bot.store import db


def test_sessions_on_a_sqlite_file_reuse_a_connection_that_keeps_its_pragmas(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    opened = []
    event.listen(engine, "connect", lambda connection, record: opened.append(connection))
    for _ in range(5):
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert len(opened) == 1  # SQLAlchemy 1.4's default for a file opened five
    engine.dispose()


def test_more_sessions_at_once_than_the_pool_keeps_do_not_wait(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    holding, release = threading.Barrier(21), threading.Event()
    answers = []

    def hold() -> None:
        with engine.connect() as connection:
            answers.append(connection.execute(text("SELECT 1")).scalar())
            holding.wait(timeout=10)  # twenty connections out at once (the pool keeps five)
            release.wait(timeout=10)

    threads = [threading.Thread(target=hold) for _ in range(20)]
    for thread in threads:
        thread.start()
    holding.wait(timeout=10)
    release.set()
    for thread in threads:
        thread.join()
    assert answers == [1] * 20
    assert engine.pool.checkedout() == 0
    engine.dispose()


def test_an_in_memory_database_keeps_sqlalchemys_own_pool():
    assert type(db.make_engine("sqlite://").pool).__name__ == "SingletonThreadPool"
