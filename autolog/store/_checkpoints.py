"""WAL checkpoints of SQLite stores, run by one daemon thread instead of the writing thread.

SQLite's automatic checkpoint runs inside the commit that takes the write-ahead log past 1,000
pages: every tenth or so autologged fit paid for copying the log into the database file (and for
its ``fsync``), 0.4-0.7 ms per fit on average and stalls of up to 85 ms measured
(``bench/results/fit-cost.md``). The hot path's connections raise that limit to a safety net
(:data:`SAFETY_NET_PAGES`, reached only if this thread falls behind) and report each commit here;
the thread checkpoints each database written to at most every :data:`INTERVAL_S` seconds.

Its checkpoints are PASSIVE: they never wait for readers or writers, so a fit never waits for
them. The thread opens the database read-write without creating it, so a store deleted meanwhile
stays deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from urllib.parse import quote

from autolog._core._process import PROCESS, StatePart

INTERVAL_S = 0.2
SAFETY_NET_PAGES = 16384  # 64 MiB of 4 KiB pages


def defer_checkpoints(connection: sqlite3.Connection) -> sqlite3.Connection:
    """Leave ``connection``'s checkpoints to the thread (the automatic one only as a safety net)."""
    connection.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_NET_PAGES}")
    return connection


class WalCheckpoints(StatePart):
    """The SQLite databases written to since their last checkpoint, and the thread doing them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written: set[str] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._fork_hook_registered = False

    def written(self, path: str) -> None:
        """Note a commit to the database file ``path``: it is checkpointed within ``INTERVAL_S``."""
        if path in self._written:
            return  # already due (an unlocked look: only the thread takes paths out)
        with self._lock:
            self._written.add(path)
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()
        self._wake.set()

    def checkpoint_now(self) -> None:
        """Checkpoint every database written to since its last checkpoint, in this thread."""
        with self._lock:
            due, self._written = self._written, set()
            self._wake.clear()
        for path in sorted(due):
            checkpoint(path)

    def reset(self) -> None:
        """Forget the pending databases (the thread stays, idle)."""
        with self._lock:
            self._written = set()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(INTERVAL_S)  # one checkpoint for a burst of commits
            with contextlib.suppress(Exception):  # the thread outlives any one failure
                self.checkpoint_now()

    def _start_thread(self) -> None:
        if not self._fork_hook_registered and hasattr(os, "register_at_fork"):
            self._fork_hook_registered = True
            os.register_at_fork(after_in_child=self._after_fork_in_child)
        thread = threading.Thread(target=self._loop, name="autolog-wal-checkpoints", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: SQLite's own checkpoint at the safety net does it
            return
        self._thread = thread

    def _after_fork_in_child(self) -> None:
        # The parent's thread is not in the child (and may have held the lock at the fork).
        self._lock = threading.Lock()
        self._written = set()
        self._wake = threading.Event()
        self._thread = None


def checkpoint(path: str) -> None:
    """A PASSIVE checkpoint of the database file ``path``; a missing or busy database is skipped."""
    with contextlib.suppress(sqlite3.Error):
        connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()


CHECKPOINTS = PROCESS.part("store.wal_checkpoints", WalCheckpoints)
