"""Trial runs of the tuning integrations (Optuna, Ray Tune): one child run per trial.

A :class:`TrialRun` gets its run id when its trial starts, is the active run of the thread
running the trial's code while it runs (``autolog.log_metric`` and autologged fits inside go to
it; each fit becomes a child run of the trial), and is written to the store as late as it can:

- a trial that ends without its code touching the run is written whole when it ends: ONE store
  transaction (:meth:`autolog.tracking.Client.create_finished_run`) with its tags, params,
  metrics and history, state and end time. A study of many short trials costs one write each.
- the run is created RUNNING (then ended with one more write) as soon as something needs it in
  the store: the trial's code uses the active run (logs a metric, an autologged fit opens a child
  run, ``start_run(nested=True)``), or the trial is still running
  :data:`WRITE_RUNNING_AFTER_SECONDS` after it started (so that a long trial shows, with a
  heartbeat, while it runs; a daemon thread writes it).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from autolog.integrations._framework import metric_key

from autolog.engine import attempt, nest_fits_under, with_engine_tags
from autolog.entities import Metric, Param, Run, RunData, RunInfo, RunTag

ROLE_TAG = "autolog.tuning.role"  # "study" / "tune" on parents, "trial" on children
FRAMEWORK_TAG = "autolog.tuning.framework"
TRIAL_TAG = "autolog.tuning.trial"

WRITE_RUNNING_AFTER_SECONDS = 2.0
"""A trial still running this long after its start is written to the store as RUNNING."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class TrialRun:
    """The child run of one trial, written to the store when it ends or when first needed.

    Parameters
    ----------
    client : autolog.tracking.Client
    experiment_id, parent_run_id : str
    name : str
        Run name, e.g. ``"trial-3"``.
    tags : dict
        Tags written with the run.
    params : dict, optional
        Params known when the trial starts (a Ray Tune trial's config), written with the run.
    """

    def __init__(
        self,
        client: Any,
        experiment_id: str,
        parent_run_id: str | None,
        name: str,
        tags: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ):
        self.client = client
        self.experiment_id = experiment_id
        self.parent_run_id = parent_run_id
        self.name = name
        self.run_id = uuid.uuid4().hex
        self.start_time = _now_ms()
        self.tags = with_engine_tags(tags)
        self.params = dict(params or {})
        self.created = False  # the run is in the store (RUNNING until ended)
        self.ended = False
        self._pending_metrics: list = []  # logged with log_batch before the run was created
        self._pending_tags: dict[str, str] = {}
        self._lock = threading.Lock()
        LONG_TRIALS.add(self)

    def ensure_created(self) -> None:
        """Create the run in the store now (RUNNING, with what was logged so far) unless it is
        there or ended already."""
        with self._lock:
            if self.created or self.ended:
                return
            self.client.create_run(
                self.experiment_id,
                run_name=self.name,
                start_time=self.start_time,
                tags=self.tags,
                params=self.params,
                parent_run_id=self.parent_run_id,
                run_id=self.run_id,
            )
            self.created = True
            LONG_TRIALS.discard(self)
            metrics, tags = self._pending_metrics, self._pending_tags
            self._pending_metrics, self._pending_tags = [], {}
            if metrics or tags:
                self.client.log_batch(self.run_id, metrics=metrics, tags=_run_tags(tags))

    def log_batch(self, metrics: Iterable[Any] = (), tags: Mapping[str, str] = ()) -> None:
        """Log ``Metric`` objects and tags: kept for the final write until the run is created."""
        with self._lock:
            if not self.created:
                self._pending_metrics.extend(metrics)
                self._pending_tags.update(tags)
                return
        self.client.log_batch(self.run_id, metrics=list(metrics), tags=_run_tags(dict(tags)))

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """The trial's code runs with this run active in the current thread (any use of it
        through the active run writes the run first)."""
        from autolog.tracking import run_activated

        info = RunInfo(
            self.run_id,
            self.experiment_id,
            self.name,
            "RUNNING",
            self.start_time,
            None,
            None,
            None,
            self.parent_run_id,
            "active",
            "",  # known once the run is in the store: autolog.get_run(run_id) has it
        )
        run = Run(info, RunData(params=dict(self.params), tags=dict(self.tags)))
        nest_fits_under(self.run_id)
        try:
            with run_activated(run, _CreatingClient(self)):
                yield
        finally:
            nest_fits_under(self.run_id, nest=False)

    def finish(
        self,
        status: str,
        *,
        params: Mapping[str, Any] = (),
        metrics: Mapping[str, float] = (),
        histories: Mapping[str, Iterable[tuple[int, float]]] = (),
        tags: Mapping[str, Any] = (),
    ) -> None:
        """End the run with ``status``, its params, metrics (``histories``: key -> (step, value)
        pairs) and tags: one store transaction for a run not created yet, else a batch of the
        params (if any) and one write with the rest. A second call does nothing."""
        timestamp = _now_ms()
        batch = [Metric(metric_key(key), float(value), timestamp, 0) for key, value in dict(metrics).items()]
        for key, points in dict(histories).items():
            batch += [Metric(metric_key(key), float(value), timestamp, int(step)) for step, value in points]
        params = {str(k): str(v) for k, v in dict(params).items()}
        tags = {str(k): str(v) for k, v in dict(tags).items()}
        with self._lock:
            if self.ended:
                return
            self.ended = True
            LONG_TRIALS.discard(self)
            if not self.created:
                self._write_whole(status, timestamp, params, batch, tags)
            else:
                self._end_created(status, timestamp, params, batch, tags)

    def _write_whole(self, status: str, end_time: int, params: dict, metrics: list, tags: dict) -> None:
        self.client.create_finished_run(
            self.experiment_id,
            status=status,
            end_time=end_time,
            run_name=self.name,
            start_time=self.start_time,
            tags={**self.tags, **self._pending_tags, **tags},
            params={**self.params, **params},
            metrics=self._pending_metrics + metrics,
            parent_run_id=self.parent_run_id,
            run_id=self.run_id,
        )

    def _end_created(self, status: str, end_time: int, params: dict, metrics: list, tags: dict) -> None:
        try:
            if params:
                self.client.log_batch(self.run_id, params=_run_params(params))
        finally:
            self.client.finish_run(
                self.run_id, metrics=metrics, tags=_run_tags(tags), status=status, end_time=end_time
            )


class _CreatingClient:
    """The trial's client as the trial's code sees it through the active run: any use writes
    the run to the store first (a metric logged, a child run opened under it)."""

    def __init__(self, trial: TrialRun):
        self._trial = trial

    def ensure_run_stored(self) -> None:
        """Called by ``start_run(nested=True)`` before it creates a child of this run."""
        self._trial.ensure_created()

    def __getattr__(self, name: str) -> Any:
        self._trial.ensure_created()
        return getattr(self._trial.client, name)

    def __repr__(self) -> str:
        return f"<client of trial run {self._trial.run_id}: {self._trial.client!r}>"


class _LongTrials:
    """Writes the run of every trial still running ``WRITE_RUNNING_AFTER_SECONDS`` after its
    start: one daemon thread per process, started by the first trial, gone after a quiet while.
    Per trial this costs two dict operations under a lock."""

    TICK_SECONDS = WRITE_RUNNING_AFTER_SECONDS / 2
    IDLE_TICKS = 10  # the thread ends after this many ticks without a running trial

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, TrialRun] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, trial: TrialRun) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's trials are not its own
                self._pending, self._thread, self._pid = {}, None, os.getpid()
            self._pending[trial.run_id] = trial
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="autolog-long-trials", daemon=True)
                self._thread.start()

    def discard(self, trial: TrialRun) -> None:
        with self._lock:
            self._pending.pop(trial.run_id, None)

    def _watch(self) -> None:
        idle = 0
        while idle < self.IDLE_TICKS:
            time.sleep(self.TICK_SECONDS)
            due = self._due(_now_ms() - int(WRITE_RUNNING_AFTER_SECONDS * 1000))
            idle = 0 if due is None else idle + 1
            for trial in due or ():
                attempt("tuning: writing the run of a running trial", trial.ensure_created)
        with self._lock:
            if self._pending:  # a trial came in as the thread was ending: keep watching
                self._thread = threading.Thread(target=self._watch, name="autolog-long-trials", daemon=True)
                self._thread.start()
            else:
                self._thread = None

    def _due(self, started_before_ms: int) -> list[TrialRun] | None:
        """Trials started before ``started_before_ms`` (taken off the list); None when none runs."""
        with self._lock:
            if not self._pending:
                return None
            due = [trial for trial in self._pending.values() if trial.start_time <= started_before_ms]
            for trial in due:
                del self._pending[trial.run_id]
            return due


LONG_TRIALS = _LongTrials()


def _run_tags(tags: Mapping[str, str]) -> list[RunTag]:
    return [RunTag(k, v) for k, v in tags.items()]


def _run_params(params: Mapping[str, str]) -> list[Param]:
    return [Param(k, v) for k, v in params.items()]
