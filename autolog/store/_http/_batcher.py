"""Background sending of metrics and tags: a bounded queue, batches with ids, retries.

The caller's ``log_metric`` validates the value (same errors as :class:`SqlStore`) and puts a row
on the queue; a daemon thread sends up to ``MAX_BATCH`` rows per request, each request with a
fresh batch id that the server applies at most once, retrying connection errors and 5xx answers.
The queue is flushed when full, on :meth:`Batcher.flush` (``finish_run``, reads of the store) and
at exit. A batch the server refuses (the run was deleted meanwhile) is reported as one warning.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid
import warnings
import weakref
from collections import deque
from collections.abc import Callable

MAX_QUEUE = 20_000
MAX_BATCH = 5_000


class Batcher:
    """Queue of ``(run_id, kind, item)`` rows and the thread that sends them.

    Parameters
    ----------
    send : callable
        ``send(run_id, batch_id, metrics, tags)``: one request, retried inside (see Transport).
    on_failure : callable
        Called with ``(exception, run_id, rows)`` when a batch could not be delivered.
    """

    def __init__(self, send: Callable, on_failure: Callable, *, finish: Callable | None = None):
        self._send = send
        self._on_failure = on_failure
        self._finish = finish
        self._rows: deque = deque()
        self._lock = threading.Condition()
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        _LIVE.add(self)

    def put(self, run_id: str, kind: str, item, *, wake: bool = False) -> None:
        """Queue one metric (``kind="m"``), tag (``"t"``) or the run's end (``"f"``, sent after
        the run's queued rows); waits while the queue is full. ``wake`` sends without waiting
        for more rows.

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
            self._ensure_thread()
            self._lock.notify_all()
            while self._rows or self._in_flight:
                self._lock.wait(0.05)

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
                if len(self._rows) < MAX_BATCH:
                    self._lock.wait(0.05)  # rows wait up to 50 ms to share a request (flush wakes it)
                taken = [self._rows.popleft() for _ in range(min(MAX_BATCH, len(self._rows)))]
                self._in_flight = len(taken)
                self._lock.notify_all()
            try:
                if taken:
                    self._deliver(taken)
            finally:
                with self._lock:
                    self._in_flight = 0
                    self._lock.notify_all()

    def _deliver(self, rows: list) -> None:
        by_run: dict[str, tuple[list, list, list]] = {}
        for run_id, kind, item in rows:
            metrics, tags, ends = by_run.setdefault(run_id, ([], [], []))
            (metrics if kind == "m" else tags if kind == "t" else ends).append(item)
        for run_id, (metrics, tags, ends) in by_run.items():
            if metrics or tags:
                try:
                    self._send(run_id, uuid.uuid4().hex, metrics, tags)
                except Exception as exc:
                    self._on_failure(exc, run_id, metrics, tags)
            for end in ends:
                try:
                    self._finish(run_id, end)  # type: ignore[misc]  # "f" rows need a finish
                except Exception as exc:
                    warnings.warn(f"autolog: the end of run {run_id} was not recorded: {exc}", stacklevel=1)


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
