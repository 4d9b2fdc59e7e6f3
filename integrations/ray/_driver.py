"""The driver side of a Ray Tune run: the parent run around a fresh ``Tuner.fit()``."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from autolog.integrations._trials import FRAMEWORK_TAG, ROLE_TAG, TRIAL_TAG
from autolog.integrations._tuning_history import HISTORY_ARTIFACT, history_document
from autolog.integrations.ray._worker import TrialContext, flat_params, make_trial_function

from autolog.engine import (
    RunHandle,
    RunSpec,
    attempt,
    autologging_active,
    finite_metrics,
    get_options,
    guarded_call,
    open_run,
    status_for_exception,
)


def fit_internal_wrapper(wrapped: Callable, instance: Any, args: tuple, kwargs: dict) -> Any:
    """wrapt wrapper of ``TunerInternal._fit_internal(trainable, param_space)``."""
    if not autologging_active():
        return wrapped(*args, **kwargs)
    recorder = TuneRecorder(instance, args, kwargs)
    return guarded_call(
        recorder.call_fit,
        (wrapped,),
        {},
        kind="recording a Ray Tune run",
        before=recorder.start,
        on_success=lambda _state, analysis: recorder.finish(analysis, None),
        on_error=lambda _state, error: recorder.finish(None, error),
    )


class TuneRecorder:
    """What one fit records in the driver; ``start`` and ``finish`` run under the safety contract."""

    def __init__(self, tuner: Any, args: tuple, kwargs: dict):
        self.tuner = tuner
        self.args, self.kwargs = args, kwargs
        self.parent: RunHandle | None = None
        self.call_args: tuple | None = None

    def start(self) -> None:
        trainable = self.args[0] if self.args else self.kwargs.get("trainable")
        param_space = self.args[1] if len(self.args) > 1 else self.kwargs.get("param_space")
        self.parent = open_run(self._parent_spec(param_space or {}))
        if self.parent is not None and _is_config_function(trainable):
            self.call_args = (make_trial_function(trainable, self._trial_context()), param_space)

    def call_fit(self, wrapped: Callable) -> Any:
        """Run the user's fit once: with the recording trial function when we made one."""
        if self.call_args is None:
            return wrapped(*self.args, **self.kwargs)
        kwargs = {k: v for k, v in self.kwargs.items() if k not in ("trainable", "param_space")}
        return wrapped(*self.call_args, **kwargs)

    def finish(self, analysis: Any, error: BaseException | None) -> None:
        if self.parent is None:
            return
        try:
            if analysis is not None:
                attempt("ray: summarizing the Tune run", self._log_summary, analysis)
        finally:
            self.parent.end("FINISHED" if error is None else status_for_exception(error))

    def _trial_context(self) -> TrialContext:
        import ray

        options = get_options()
        driver_node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
        return TrialContext(
            tracking_uri=self.parent.client.tracking_uri,
            artifact_root=getattr(self.parent.client, "_artifact_root", None),
            experiment_id=self.parent.experiment_id,
            parent_run_id=self.parent.run_id,
            options={f.name: getattr(options, f.name) for f in dataclasses.fields(options)},
            driver_node_id=driver_node,
        )

    def _parent_spec(self, param_space: dict) -> RunSpec:
        tune_config, run_config = self.tuner._tune_config, self.tuner._run_config
        params = {f"param_space/{key}": value for key, value in flat_params(param_space).items()}
        for name in ("metric", "mode", "num_samples", "max_concurrent_trials"):
            if getattr(tune_config, name, None) is not None:
                params[name] = str(getattr(tune_config, name))
        for name in ("scheduler", "search_alg"):
            if getattr(tune_config, name, None) is not None:
                params[name] = type(getattr(tune_config, name)).__name__
        tags = {ROLE_TAG: "tune", FRAMEWORK_TAG: "ray", "ray.experiment_name": str(run_config.name)}
        return RunSpec(name=str(run_config.name), params=params, tags=tags)

    def _trial_run_ids(self) -> dict[str, str]:
        """Trial id -> run id of the child runs the workers wrote (one search, at the end)."""
        found = self.parent.client.search_runs(
            [self.parent.experiment_id],
            filter_string=f"tags.{ROLE_TAG} = 'trial' and tags.{FRAMEWORK_TAG} = 'ray'",
            max_results=10000,
        )
        return {
            run.data.tags.get(TRIAL_TAG): run.info.run_id
            for run in found
            if run.info.parent_run_id == self.parent.run_id
        }

    def _log_summary(self, analysis: Any) -> None:
        """From the ``ExperimentAnalysis`` that ``_fit_internal`` returns (the ResultGrid wraps it)."""
        metric, mode = self.tuner._tune_config.metric, self.tuner._tune_config.mode
        trials = list(analysis.trials)
        errored = sum(trial.status == "ERROR" for trial in trials)
        metrics = {"trials_terminated": len(trials) - errored, "trials_errored": errored}
        if metric and mode and len(trials) > errored:
            best = analysis.get_best_trial(metric=metric, mode=mode, scope="last")
            if best is not None:
                metrics[f"best_{metric}"] = (best.last_result or {}).get(metric)
                best_params = {f"best_{k}": v for k, v in flat_params(best.config or {}).items()}
                self.parent.log_params_and_tags(best_params, {"ray.best_trial_id": best.trial_id})
        self.parent.log_metrics(finite_metrics(metrics))
        run_ids = self._trial_run_ids()
        rows = [_history_row(index, trial, metric, run_ids) for index, trial in enumerate(trials)]
        document = history_document("ray", objective=metric, direction=mode, trials=rows)
        self.parent.client.log_dict(self.parent.run_id, document, HISTORY_ARTIFACT)


def _history_row(index: int, trial: Any, metric: str | None, run_ids: dict) -> dict:
    return {
        "number": index,
        "trial": trial.trial_id,
        "run_id": run_ids.get(trial.trial_id),
        "state": trial.status,
        "value": (trial.last_result or {}).get(metric) if metric else None,
        "params": flat_params(trial.config or {}),
    }


def _is_config_function(trainable: Any) -> bool:
    """A plain function trainable taking exactly ``config`` (what the trial wrapper mimics)."""
    if not inspect.isfunction(trainable):
        return False
    try:
        spec = inspect.getfullargspec(trainable)
    except TypeError:
        return False
    return len(spec.args) == 1 and not spec.varargs
