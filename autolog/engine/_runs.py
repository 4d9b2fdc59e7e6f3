"""Where an autologged training call logs: a managed run, the user's active run, or nowhere."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autolog._core._constants import AUTOLOG_VERSION, TAG_AUTOLOG_VERSION
from autolog.engine._state import STATE

if TYPE_CHECKING:
    from autolog.tracking import Client

_STATUS_FINISHED = "FINISHED"
_STATUS_FAILED = "FAILED"
_STATUS_KILLED = "KILLED"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class RunSpec:
    """What a run starts with: written in ONE transaction together with the run itself.

    Attributes
    ----------
    name : str, optional
        Run name (e.g. the estimator class name).
    params : dict
        Param values, already strings (the store truncates over-long ones).
    tags : dict
        Tags; ``extra_tags`` and ``autolog.version`` are added by the engine.
    """

    name: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RunHandle:
    """The run a training call logs into.

    Attributes
    ----------
    run_id : str
    managed : bool
        True when autolog created the run and ends it; False for the user's active run.
    client : autolog.tracking.Client
    experiment_id : str
    """

    run_id: str
    managed: bool
    client: Client
    experiment_id: str
    # While ``deferring`` (the engine sets it around ``log_results``), metrics and tags are
    # collected and written together with the end of the run: one store transaction instead of
    # one per call where the store offers it (see :meth:`end`).
    deferring: bool = field(default=False, repr=False)
    _pending_metrics: list = field(default_factory=list, init=False, repr=False)
    _pending_tags: dict = field(default_factory=dict, init=False, repr=False)

    def deferred_artifact_records(self) -> AbstractContextManager[None]:
        """A block within which the records of the files this run writes wait for its end
        (one store transaction with it), where the store supports that; best effort: a store
        that refuses it leaves the records to be written at once."""
        try:
            return self.client.deferred_artifact_records(self.run_id)
        except Exception:
            return contextlib.nullcontext()

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        """Log ``metrics`` in one batch (one transaction); non-numeric values are dropped."""
        from autolog.tracking import Metric

        timestamp = _now_ms()
        batch = [
            Metric(key, float(value), timestamp, step)
            for key, value in metrics.items()
            if _is_real_number(value)
        ]
        if not batch:
            return
        if self.deferring:
            self._pending_metrics.extend(batch)
        else:
            self.client.log_batch(self.run_id, metrics=batch)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Set tags (overwriting); written with the next flush while deferring."""
        if not tags:
            return
        if self.deferring:
            self._pending_tags.update({k: str(v) for k, v in tags.items()})
        else:
            self.log_params_and_tags((), tags)

    def flush(self) -> None:
        """Write the metrics and tags collected while deferring (one batch); stop deferring."""
        self.deferring = False
        metrics, tags = self._pending_metrics, self._pending_tags
        self._pending_metrics, self._pending_tags = [], {}
        if metrics or tags:
            from autolog.tracking import RunTag

            self.client.log_batch(self.run_id, metrics=metrics, tags=[RunTag(k, v) for k, v in tags.items()])

    def log_metric_history(self, key: str, values: Iterable[float]) -> None:
        """Log ``values`` as the history of ``key`` (step = position), in one batch."""
        from autolog.tracking import Metric

        timestamp = _now_ms()
        batch = [
            Metric(key, float(v), timestamp, step) for step, v in enumerate(values) if _is_real_number(v)
        ]
        if batch:
            self.client.log_batch(self.run_id, metrics=batch)

    def log_params_and_tags(
        self,
        params: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        tags: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        """Log params and tags in one batch."""
        from autolog.tracking import Param, RunTag

        self.client.log_batch(
            self.run_id,
            params=[Param(k, str(v)) for k, v in dict(params).items()],
            tags=[RunTag(k, str(v)) for k, v in dict(tags).items()],
        )

    def log_text(self, text: str, artifact_file: str) -> None:
        """Write ``text`` as the artifact ``artifact_file`` of this run (an object-storage root
        uploads it in the background: the user's call does not wait on the network)."""
        self.client.log_text(self.run_id, text, artifact_file, wait=False)

    def create_child_runs(self, children: Iterable[tuple[RunSpec, Mapping[str, float]]]) -> list[str]:
        """Create finished child runs of this run, each with its params, tags and metrics (one
        store transaction each; non-numeric metric values are dropped).

        Returns the new run ids.
        """
        from autolog.tracking import Metric

        run_ids = []
        for spec, metrics in children:
            timestamp = _now_ms()
            run_ids.append(
                self.client.create_finished_run(
                    self.experiment_id,
                    run_name=spec.name,
                    start_time=timestamp,
                    end_time=timestamp,
                    tags=with_engine_tags(spec.tags),
                    params=spec.params,
                    metrics=[
                        Metric(key, float(value), timestamp, 0)
                        for key, value in metrics.items()
                        if _is_real_number(value)
                    ],
                    parent_run_id=self.run_id,
                )
            )
        return run_ids

    def end(self, status: str) -> None:
        """Write what is pending, then terminate the run with ``status`` if autolog manages it
        (the user's run stays open).

        Where the client offers ``finish_run(run_id, metrics=, tags=, status=)`` (pending
        values and the end of the run in ONE transaction), it is used; otherwise a batch, then
        ``set_terminated``. The run is terminated even when writing the pending values fails
        (that error is raised afterwards).
        """
        if not self.managed:
            self.flush()
            return
        finish_run = getattr(self.client, "finish_run", None)
        if finish_run is not None and (self._pending_metrics or self._pending_tags):
            from autolog.tracking import RunTag

            self.deferring = False
            metrics, tags = self._pending_metrics, self._pending_tags
            self._pending_metrics, self._pending_tags = [], {}
            try:
                finish_run(
                    self.run_id, metrics=metrics, tags=[RunTag(k, v) for k, v in tags.items()], status=status
                )
                return
            except BaseException:
                self.client.set_terminated(self.run_id, status)
                raise
        try:
            self.flush()
        finally:
            self.client.set_terminated(self.run_id, status)


def _is_real_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def with_engine_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """``tags`` plus what every autologged run carries: autolog's version and ``extra_tags``."""
    merged = {TAG_AUTOLOG_VERSION: AUTOLOG_VERSION, **tags}
    merged.update(STATE.options.extra_tags)
    return merged


def open_run(spec: RunSpec) -> RunHandle | None:
    """Start logging a training call described by ``spec``.

    - No active user run in this thread: create a managed run (params and tags included).
    - An active user run: log into it, unless ``exclusive=True`` (then return None). If an
      earlier autologged fit already logged into that run, a managed child run is created
      instead, so a second fit cannot conflict with the first one's params.

    Returns
    -------
    RunHandle or None
    """
    from autolog.tracking import active_run, current_client, resolve_experiment_id

    user_run = active_run()
    if user_run is not None:
        if STATE.options.exclusive:
            return None
        return _open_in_user_run(user_run, spec)
    client = current_client()
    experiment_id = resolve_experiment_id(client)
    return _create_managed_run(client, experiment_id, spec, parent_run_id=None)


def nest_fits_under(run_id: str, nest: bool = True) -> None:
    """Make autologged fits inside the active run ``run_id`` child runs of it (``nest=False``
    forgets it again). For runs an integration owns (an Optuna or Ray Tune trial): its params
    stay the trial's, each fit gets a run of its own below it."""
    if nest:
        STATE.runs_with_autologged_fit.add(run_id)
    else:
        STATE.runs_with_autologged_fit.discard(run_id)


def _open_in_user_run(user_run: Any, spec: RunSpec) -> RunHandle:
    client = user_run.client
    run_id = user_run.info.run_id
    experiment_id = user_run.info.experiment_id
    if run_id in STATE.runs_with_autologged_fit:
        return _create_managed_run(client, experiment_id, spec, parent_run_id=run_id)
    STATE.runs_with_autologged_fit.add(run_id)
    handle = RunHandle(run_id, False, client, experiment_id)
    handle.log_params_and_tags(spec.params, with_engine_tags(spec.tags))
    return handle


def _create_managed_run(
    client: Client, experiment_id: str, spec: RunSpec, parent_run_id: str | None
) -> RunHandle:
    run = client.create_run(
        experiment_id,
        run_name=spec.name,
        tags=with_engine_tags(spec.tags),
        params=spec.params,
        parent_run_id=parent_run_id,
        wait=False,  # against a tracking server, the fit does not wait for the round trip
    )
    if parent_run_id is None:
        from autolog.tracking._system_metrics import start_system_metrics, system_metrics_wanted

        if system_metrics_wanted():
            start_system_metrics(client, run.info.run_id)
    return RunHandle(run.info.run_id, True, client, experiment_id)


def remember_last_run(run: RunHandle) -> None:
    """Make a managed run what ``autolog.last_active_run()`` returns in this thread."""
    if not run.managed:
        return
    from autolog.tracking import set_last_active_run

    set_last_active_run(run.run_id, run.client)


def status_for_exception(error: BaseException) -> str:
    """FAILED for an ``Exception``, KILLED for ``KeyboardInterrupt`` and other interrupts."""
    return _STATUS_FAILED if isinstance(error, Exception) else _STATUS_KILLED


def finite_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Drop metrics that are None, non-numeric or NaN (undefined), keep +/-inf."""
    kept = {}
    for key, value in metrics.items():
        if value is None or not _is_real_number(value) or math.isnan(float(value)):
            continue
        kept[key] = float(value)
    return kept
