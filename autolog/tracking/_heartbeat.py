"""One daemon thread per process that keeps the heartbeat of the runs this process started.

Readers report a RUNNING run whose heartbeat is older than ``AUTOLOG_HEARTBEAT_TIMEOUT`` as
KILLED, so a process that dies (SIGKILL, power loss) does not leave its runs RUNNING forever.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import Any

from autolog._core._exceptions import NotFoundError
from autolog._core._process import PROCESS, StatePart

HEARTBEAT_INTERVAL_ENV = "AUTOLOG_HEARTBEAT_INTERVAL"
DEFAULT_HEARTBEAT_INTERVAL = 30.0


def heartbeat_interval() -> float:
    """Seconds between two refreshes, from ``AUTOLOG_HEARTBEAT_INTERVAL`` (default 30)."""
    raw = os.environ.get(HEARTBEAT_INTERVAL_ENV)
    if not raw:
        return DEFAULT_HEARTBEAT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_HEARTBEAT_INTERVAL
    return value if value > 0 else DEFAULT_HEARTBEAT_INTERVAL


class HeartbeatKeeper(StatePart):
    """The set of live runs of this process, grouped by store, and the thread refreshing them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, Any] = {}  # run_id -> store
        self._ends: dict[str, tuple[Any, str, int]] = {}  # run_id -> (store, status, end_time)
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._warned = False
        self._fork_hook_registered = False

    def add(self, store: Any, run_id: str) -> None:
        """Keep ``run_id`` alive until :meth:`discard`; starts the thread on first use."""
        self._on_first_use()
        with self._lock:
            self._runs[run_id] = store
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()

    def discard(self, run_id: str) -> None:
        """Stop refreshing ``run_id`` (it ended, or was deleted)."""
        with self._lock:
            self._runs.pop(run_id, None)
            self._ends.pop(run_id, None)

    def end_later(self, store: Any, run_id: str, status: str, end_time: int) -> None:
        """Record the end of ``run_id`` once the store accepts it: retried on every beat and at exit.

        For a run whose end could not be written (store locked, disk full): it stops being kept
        alive meanwhile, so if the end never gets through, readers report KILLED once it is stale,
        never RUNNING forever.
        """
        self._on_first_use()
        with self._lock:
            self._runs.pop(run_id, None)
            self._ends[run_id] = (store, status, end_time)
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()

    def retry_ends(self) -> None:
        """Try to write every pending end once (also done by the thread and at exit)."""
        with self._lock:
            pending = list(self._ends.items())
        for run_id, (store, status, end_time) in pending:
            try:
                store.update_run(run_id, status=status, end_time=end_time)
            except NotFoundError:
                pass  # the run is gone: nothing left to end
            except Exception:
                continue
            with self._lock:
                if self._ends.get(run_id, (None,))[0] is store:
                    del self._ends[run_id]

    def reset(self) -> None:
        """Forget every run (the thread keeps running and idles)."""
        self.clear()

    def clear(self) -> None:
        """Forget every run (the thread keeps running and idles)."""
        with self._lock:
            self._runs.clear()
            self._ends.clear()

    def run_ids(self) -> list[str]:
        with self._lock:
            return list(self._runs)

    def beat_now(self) -> None:
        """Refresh every live run once, now (also what the thread does periodically)."""
        if self._ends:
            self.retry_ends()
        for store, run_ids in self._grouped_by_store():
            try:
                store.heartbeat(run_ids)
            except Exception as exc:  # a transient store error must not kill the thread
                self._warn_once(exc)

    def _grouped_by_store(self) -> list[tuple[Any, list[str]]]:
        with self._lock:
            groups: dict[int, tuple[Any, list[str]]] = {}
            for run_id, store in self._runs.items():
                groups.setdefault(id(store), (store, []))[1].append(run_id)
        return list(groups.values())

    def _on_first_use(self) -> None:
        # Pending ends are retried at exit; a forked child forgets the parent's runs.
        PROCESS.at_exit(self.retry_ends)
        with self._lock:
            first, self._fork_hook_registered = not self._fork_hook_registered, True
        if first and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="autolog-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._wake.wait(heartbeat_interval()):
            self.beat_now()

    def _warn_once(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(f"autolog: could not refresh run heartbeats: {exc}", RuntimeWarning, stacklevel=2)

    def _after_fork_in_child(self) -> None:
        # The child did not start the parent's runs and has no heartbeat thread.
        self._lock = threading.Lock()
        self._runs = {}
        self._ends = {}
        self._thread = None
        self._wake = threading.Event()


KEEPER = PROCESS.part("tracking.heartbeat", HeartbeatKeeper)
