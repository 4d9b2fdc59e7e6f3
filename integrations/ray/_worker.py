"""The worker side of a Ray Tune trial: its run, written from the process that runs it.

:func:`make_trial_function` wraps the user's ``train(config)`` in a function that Ray pickles to
the trial's worker; there :func:`run_trial` turns autologging on with the driver's options,
creates the trial's child run and keeps it active in the trial's thread while ``train`` runs.
``ray.tune.report`` calls go through :func:`report_wrapper` (patched in every process where
autologging is on), which logs each report as one step of metric history.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autolog.integrations._trials import FRAMEWORK_TAG, ROLE_TAG, TRIAL_TAG, TrialRun

from autolog.engine import attempt, warn_once

CHECKPOINT_TAG = "ray.checkpoint"
STATUS_TAG = "ray.trial.status"
_REMOTE_SCHEMES = ("postgresql:", "postgres:", "http:", "https:")
_current = threading.local()
_clients: dict[tuple, Any] = {}


@dataclass(frozen=True)
class TrialContext:
    """What a trial's worker needs to write its run (pickled with the trial function)."""

    tracking_uri: str
    artifact_root: str | None
    experiment_id: str
    parent_run_id: str
    options: Mapping[str, Any]
    driver_node_id: str | None


def make_trial_function(train: Callable, context: TrialContext) -> Callable:
    """A function trainable with ``train``'s name, attributes and ``(config)`` signature."""

    @functools.wraps(train)
    def autolog_trial(config):
        return run_trial(train, context, config)

    return autolog_trial


def remote_node_refusal(tracking_uri: str, driver_node: str | None, this_node: str | None) -> str | None:
    """Why a trial on ``this_node`` cannot write to ``tracking_uri`` (None when it can).

    A local store (directory or SQLite file) is only shared by the processes of one machine: a
    trial on another node would write a store nobody reads.
    """
    if not driver_node or not this_node or driver_node == this_node:
        return None
    if tracking_uri.lower().startswith(_REMOTE_SCHEMES):
        return None
    return (
        f"autolog: Ray Tune trial on node {this_node} is not recorded: the tracking URI {tracking_uri!r} "
        f"is a local store of the driver's node {driver_node}. Point every node at a shared store "
        "(AUTOLOG_TRACKING_URI=postgresql://... or the tracking server); see docs/distributed.md."
    )


def run_trial(train: Callable, context: TrialContext, config: dict) -> Any:
    """Run ``train(config)`` once, recording the trial's run around it when possible."""
    ok, trial = attempt("ray: starting the trial run", _start_trial, context, config)
    if not ok or trial is None:
        return train(config)
    _current.trial = trial
    ok, active = attempt("ray: activating the trial run", _entered, trial.run.active())
    try:
        result = train(config)
    except BaseException as error:
        _current.trial = None
        if ok:
            attempt("ray: deactivating the trial run", active.__exit__, None, None, None)
        attempt("ray: ending the trial run", trial.end, error)
        raise
    _current.trial = None
    if ok:
        attempt("ray: deactivating the trial run", active.__exit__, None, None, None)
    attempt("ray: ending the trial run", trial.end, None)
    return result


def _entered(context: Any) -> Any:
    context.__enter__()
    return context


def _start_trial(context: TrialContext, config: dict) -> WorkerTrial | None:
    import ray
    from ray import tune

    refusal = remote_node_refusal(
        context.tracking_uri, context.driver_node_id, ray.get_runtime_context().get_node_id()
    )
    if refusal:
        warn_once("ray: trial on another node", refusal)
        return None
    from autolog.engine import autolog, is_enabled

    if not is_enabled():  # a fresh worker process: autologging as the driver configured it
        autolog(**context.options)
    tune_context = tune.get_context()
    tags = {
        ROLE_TAG: "trial",
        FRAMEWORK_TAG: "ray",
        TRIAL_TAG: tune_context.get_trial_id(),
        "ray.experiment_name": tune_context.get_experiment_name(),
        "ray.worker_pid": str(os.getpid()),
    }
    run = TrialRun(
        _client(context),
        context.experiment_id,
        context.parent_run_id,
        tune_context.get_trial_name(),
        tags,
        params=flat_params(config),
    )
    from autolog.tracking._system_metrics import start_system_metrics, system_metrics_wanted

    if system_metrics_wanted():  # each trial samples its own node, labelled with the node id
        run.ensure_created()  # the samples go into it from now on
        start_system_metrics(run.client, run.run_id)
    return WorkerTrial(run)


def _client(context: TrialContext) -> Any:
    key = (context.tracking_uri, context.artifact_root)
    if key not in _clients:
        from autolog.tracking import Client

        _clients[key] = Client(context.tracking_uri, context.artifact_root)
    return _clients[key]


class WorkerTrial:
    """The trial's run and the reports seen so far."""

    def __init__(self, run: TrialRun):
        self.run = run
        self.iteration = 0
        self.checkpoint: str | None = None

    def on_report(self, session: Any, metrics: Mapping[str, Any], checkpoint: Any) -> None:
        from autolog.integrations._framework import metric_key

        from autolog.tracking import Metric

        self.iteration += 1
        timestamp = time.time_ns() // 1_000_000
        batch = [
            Metric(metric_key(str(key)), float(value), timestamp, self.iteration)
            for key, value in metrics.items()
            if _is_number(value)
        ]
        tags = {}
        if checkpoint is not None:
            self.checkpoint = str(session.storage.checkpoint_fs_path)
            tags[CHECKPOINT_TAG] = self.checkpoint
        self.run.log_batch(batch, tags)  # written with the run's end unless it is in the store

    def end(self, error: BaseException | None) -> None:
        if error is None:
            status, ray_status = "FINISHED", "TERMINATED"
        elif isinstance(error, SystemExit):  # Tune stopped the trial (scheduler, stopper)
            status, ray_status = "FINISHED", "STOPPED"
        elif isinstance(error, Exception):
            status, ray_status = "FAILED", "ERROR"
        else:
            status, ray_status = "KILLED", "ERROR"
        self.run.finish(
            status, metrics={"training_iterations": self.iteration}, tags={STATUS_TAG: ray_status}
        )


def report_wrapper(wrapped: Callable, instance: Any, args: tuple, kwargs: dict) -> Any:
    """wrapt wrapper of the trial session's ``report(metrics, checkpoint=None)``."""
    result = wrapped(*args, **kwargs)
    trial = getattr(_current, "trial", None)
    if trial is not None:
        metrics = args[0] if args else kwargs.get("metrics", {})
        checkpoint = args[1] if len(args) > 1 else kwargs.get("checkpoint")
        attempt("ray: recording a report", trial.on_report, instance, metrics, checkpoint)
    return result


def flat_params(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` -> ``{"a/b": "1"}``."""
    flat = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and "grid_search" not in value:
            flat.update(flat_params(value, prefix=f"{name}/"))
        else:
            flat[name] = str(value)
    return flat


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return type(value).__name__ in ("float32", "float64", "int32", "int64") and math.isfinite(
            float(value)
        )
    return math.isfinite(value)
