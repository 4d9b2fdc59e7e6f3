"""Background sending of metrics and tags: a bounded queue, batches with ids, retries.

The caller's ``log_metric`` validates the value (same errors as :class:`SqlStore`) and puts a row
on the queue; a daemon thread sends up to ``MAX_BATCH`` rows per request, each request with a
fresh batch id that the server applies at most once, retrying connection errors and 5xx answers.
The queue is flushed when full, on :meth:`Batcher.flush` (``finish_run``, reads of the store) and
at exit. A batch the server refuses (the run was deleted meanwhile) is reported as one warning.

The creation of a run can be queued too (``kind="c"``, before every other row of the run): it is
held up to ``HOLD_S`` for the run's end, so that a short run (an autologged fit) goes to the
server as one request; a flush sends it at once.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_QUEUE = 20_000
MAX_BATCH = 5_000
HOLD_S = 0.05  # how long a queued run creation waits for the run's end


@dataclass
class RunRows:
    """One run's share of a batch: its queued creation, metrics, tags and ends, in order."""

    create: dict | None = None
    metrics: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    ends: list = field(default_factory=list)

    def add(self, kind: str, item) -> None:
        if kind == "c":
            self.create = item[0]
        else:
            (self.metrics if kind == "m" else self.tags if kind == "t" else self.ends).append(item)


class Batcher:
    """Queue of ``(run_id, kind, item)`` rows and the thread that sends them.

    Parameters
    ----------
    deliver : callable
        ``deliver(run_id, rows)`` with one run's :class:`RunRows` of a batch (requests retried
        inside, see Transport); an exception it raises is reported as a warning.
    """

    def __init__(self, deliver: Callable[[str, RunRows], None]):
        self._deliver_run = deliver
        self._rows: deque = deque()
        self._lock = threading.Condition()
        self._in_flight = 0
        self._flushing = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        _LIVE.add(self)

    def put(self, run_id: str, kind: str, item, *, wake: bool = False) -> None:
        """Queue one metric (``kind="m"``), tag (``"t"``), the run's end (``"f"``, sent after
        the run's queued rows) or its creation (``"c"``: ``(body, time.monotonic())``, first of
        the run's rows); waits while the queue is full. ``wake`` sends without waiting for more
        rows.

        Lock-free on the common path (``deque.append`` is atomic): the sender polls the queue.
        """
        if len(self._rows) >= MAX_QUEUE:
            self._wait_for_room()
        self._rows.append((run_id, kind, item))
        if self._thread is None or wake:
            with self._lock:
                self._ensure_thread()
                self._lock.notify_all()

    def _wait_for_room(self) -> None:
        with self._lock:
            self._ensure_thread()
            while len(self._rows) >= MAX_QUEUE:
                self._lock.notify_all()
                self._lock.wait(0.05)

    def flush(self) -> None:
        """Return once every queued row has been sent (or reported as failed)."""
        with self._lock:
            if not self._rows and not self._in_flight:
                return
            self._flushing += 1  # queued creations are not held meanwhile
            try:
                self._ensure_thread()
                self._lock.notify_all()
                while self._rows or self._in_flight:
                    self._lock.wait(0.05)
            finally:
                self._flushing -= 1

    def wake(self) -> None:
        """Make sure the sender runs (a queued creation still waits out its hold)."""
        with self._lock:
            self._ensure_thread()
            self._lock.notify_all()

    def pending(self) -> int:
        with self._lock:
            return len(self._rows) + self._in_flight

    def _forget_thread(self) -> None:
        self._thread = None  # in a forked child: the parent's sender thread does not exist here
        self._lock = threading.Condition()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="autolog-http-batcher", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if len(self._rows) < MAX_BATCH and not self._flushing:
                    self._lock.wait(0.05)  # rows wait up to 50 ms to share a request (flush wakes it)
                taken = [self._rows.popleft() for _ in range(min(MAX_BATCH, len(self._rows)))]
                taken = self._hold_young_creations(taken)
                self._in_flight = len(taken)
                self._lock.notify_all()
            try:
                if taken:
                    self._deliver(taken)
            finally:
                with self._lock:
                    self._in_flight = 0
                    self._lock.notify_all()

    def _hold_young_creations(self, taken: list) -> list:
        """Put back (first in the queue) the rows of runs created less than ``HOLD_S`` ago whose
        end is not queued yet: their creation may still go out together with the end. Not while
        flushing, nor from a full batch (a run logging that much is no short run)."""
        if self._flushing or len(taken) >= MAX_BATCH:
            return taken
        now = time.monotonic()
        young = {run_id for run_id, kind, item in taken if kind == "c" and now - item[1] < HOLD_S}
        young -= {run_id for run_id, kind, _item in taken if kind == "f"}
        if not young:
            return taken
        self._rows.extendleft(reversed([row for row in taken if row[0] in young]))
        return [row for row in taken if row[0] not in young]

    def _deliver(self, rows: list) -> None:
        by_run: dict[str, RunRows] = {}
        for run_id, kind, item in rows:
            by_run.setdefault(run_id, RunRows()).add(kind, item)
        for run_id, run_rows in by_run.items():
            try:
                self._deliver_run(run_id, run_rows)
            except Exception as exc:
                warnings.warn(f"autolog: writes to run {run_id} were not recorded: {exc}", stacklevel=1)


_LIVE: weakref.WeakSet[Batcher] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for batcher in list(_LIVE):
        batcher._forget_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _flush_all_at_exit() -> None:
    # Registered when the HTTP store is imported, so it runs after the upload queue's exit hook.
    for batcher in list(_LIVE):
        try:
            batcher.flush()
        except Exception as exc:
            warnings.warn(f"autolog: could not send the last metrics to the server: {exc}", stacklevel=1)
    from autolog.store._http._transport import close_connections

    close_connections()
