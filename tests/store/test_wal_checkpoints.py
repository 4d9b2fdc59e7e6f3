"""SQLite WAL checkpoints run in a daemon thread, never inside a writer's commit."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time

import pytest

from autolog.store import _checkpoints
from autolog.store._checkpoints import CHECKPOINTS, SAFETY_NET_PAGES
from autolog.store._sql_store import SqlStore


@pytest.fixture
def sqlite_store(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path}/store/autolog.db", str(tmp_path / "store"))
    yield store
    store.close()


def _db_path(store: SqlStore) -> str:
    return store.db_uri[len("sqlite:///") :]


def _runs_in_the_database_file_alone(path: str, tmp_path) -> int:
    """Runs in the main database file, leaving out what only the WAL holds (a copy without it)."""
    copy = str(tmp_path / f"alone-{time.monotonic_ns()}.db")
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        connection.close()


def _write_runs(store: SqlStore, count: int, width: int) -> None:
    for number in range(count):
        run_id = store.create_run("0").info.run_id
        store.log_batch(run_id, params=[(f"p{number}_{i}", "v" * 40) for i in range(width)])


def test_the_writer_leaves_the_checkpoint_to_the_thread(sqlite_store, tmp_path):
    _write_runs(sqlite_store, 3, 5)
    _closeable, connection = sqlite_store._hot_connections._connection()
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_NET_PAGES

    deadline = time.monotonic() + 10
    while _runs_in_the_database_file_alone(_db_path(sqlite_store), tmp_path) < 3:
        assert time.monotonic() < deadline, "no checkpoint within 10 s"
        time.sleep(0.05)


def test_past_1000_pages_the_writers_commit_still_does_not_checkpoint(sqlite_store, tmp_path, monkeypatch):
    threads: list[str] = []
    monkeypatch.setattr(
        _checkpoints, "checkpoint", lambda path: threads.append(threading.current_thread().name)
    )
    _write_runs(sqlite_store, 100, 120)
    path = _db_path(sqlite_store)
    assert os.path.getsize(path + "-wal") > 1000 * 4096  # SQLite's own limit would have fired
    assert _runs_in_the_database_file_alone(path, tmp_path) == 0

    monkeypatch.undo()
    CHECKPOINTS.checkpoint_now()
    assert _runs_in_the_database_file_alone(path, tmp_path) == 100
    assert set(threads) <= {"autolog-wal-checkpoints"}  # the thread ran them (as a no-op here)


def test_a_deleted_store_is_not_created_again(tmp_path):
    missing = tmp_path / "gone" / "autolog.db"
    missing.parent.mkdir()
    _checkpoints.checkpoint(str(missing))
    assert not missing.exists()


def test_a_forked_child_checkpoints_its_own_writes(sqlite_store, tmp_path):
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    _write_runs(sqlite_store, 1, 1)  # the parent's thread is running
    pid = os.fork()
    if pid == 0:  # the child: its writes get a thread of its own
        code = 1
        try:
            child = SqlStore(sqlite_store.db_uri, sqlite_store.artifact_root)
            _write_runs(child, 1, 1)
            deadline = time.monotonic() + 10
            while _runs_in_the_database_file_alone(_db_path(child), tmp_path) < 2:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            else:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
