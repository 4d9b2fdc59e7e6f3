"""Trial runs of the tuning integrations (Optuna, Ray Tune): one child run per trial.

A :class:`TrialRun` is created when its trial starts, is the active run of the thread running
the trial's code while it runs (``autolog.log_metric`` and autologged fits inside go to it; each
fit becomes a child run of the trial), and is ended with the trial's outcome in as few store
transactions as possible (one batch of params, metrics and tags, then the end).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from autolog.integrations._framework import metric_key

from autolog.engine import nest_fits_under
from autolog.engine._runs import _with_engine_tags

ROLE_TAG = "autolog.tuning.role"  # "study" / "tune" on parents, "trial" on children
FRAMEWORK_TAG = "autolog.tuning.framework"
TRIAL_TAG = "autolog.tuning.trial"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class TrialRun:
    """The child run of one trial.

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
        self.run = client.create_run(
            experiment_id,
            run_name=name,
            tags=_with_engine_tags(tags),
            params=params,
            parent_run_id=parent_run_id,
        )
        self.run_id = self.run.info.run_id
        self.ended = False

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """The trial's code runs with this run active in the current thread."""
        from autolog.tracking import run_activated

        nest_fits_under(self.run_id)
        try:
            with run_activated(self.run, self.client):
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
        """Write the trial's params, metrics (``histories``: key -> (step, value) pairs) and tags in
        one batch, then end the run with ``status``; a second call does nothing."""
        if self.ended:
            return
        self.ended = True
        from autolog.tracking import Metric, Param, RunTag

        timestamp = _now_ms()
        batch = [Metric(metric_key(key), float(value), timestamp, 0) for key, value in dict(metrics).items()]
        for key, points in dict(histories).items():
            batch += [Metric(metric_key(key), float(value), timestamp, int(step)) for step, value in points]
        try:
            self.client.log_batch(
                self.run_id,
                metrics=batch,
                params=[Param(str(k), str(v)) for k, v in dict(params).items()],
                tags=[RunTag(str(k), str(v)) for k, v in dict(tags).items()],
            )
        finally:
            self.client.set_terminated(self.run_id, status)
