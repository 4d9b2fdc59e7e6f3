"""The ``Study.optimize`` wrapper: a parent run per call, a child run per trial.

The user's objective is wrapped so that each trial's run is created and made the active run of
the thread running the trial (``n_jobs>1`` runs trials in threads: each has its own active
run); a callback placed before the user's callbacks ends it with the trial's final state, which
Optuna only knows after the objective returned. Trials whose exception escapes ``optimize`` (not
in ``catch``) never reach the callbacks: they are ended from the study's record when
``optimize`` ends.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Callable
from typing import Any

from autolog.integrations._trials import FRAMEWORK_TAG, ROLE_TAG, TRIAL_TAG, TrialRun
from autolog.integrations._tuning_history import HISTORY_ARTIFACT, history_document

from autolog.engine import (
    RunHandle,
    RunSpec,
    attempt,
    autologging_active,
    finite_metrics,
    guarded_call,
    open_run,
    status_for_exception,
)


def optimize_wrapper(wrapped: Callable, instance: Any, args: tuple, kwargs: dict) -> Any:
    """wrapt wrapper of ``Study.optimize``: records unless autologging is off here."""
    if not autologging_active():
        return wrapped(*args, **kwargs)
    recorder = StudyRecorder(instance, args, kwargs)
    return guarded_call(
        recorder.call_optimize,
        (wrapped,),
        {},
        kind="recording an Optuna study",
        before=recorder.start,
        on_success=lambda _state, _result: recorder.finish(None),
        on_error=lambda _state, error: recorder.finish(error),
    )


@functools.cache
def _optimize_signature() -> inspect.Signature:
    """``Study.optimize``'s signature without ``self`` (the class is Optuna's, so one per process)."""
    import optuna.study

    signature = inspect.signature(optuna.study.Study.optimize)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def _bound_arguments(args: tuple, kwargs: dict) -> dict:
    bound = _optimize_signature().bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


class StudyRecorder:
    """What one ``optimize`` call records; ``start`` and ``finish`` run under the safety contract."""

    def __init__(self, study: Any, args: tuple, kwargs: dict):
        self.study = study
        self.args, self.kwargs = args, kwargs
        self.parent: RunHandle | None = None
        self.call_arguments: dict | None = None
        self.trials: dict[int, TrialRun] = {}
        self.finished: dict[int, Any] = {}  # trial number -> FrozenTrial
        self.lock = threading.Lock()
        self.value_names: list[str] = []  # read once: an RDB storage answers it with a query
        self.trial_tags: dict[str, str] = {}

    # -- the call ----------------------------------------------------------------------------

    def start(self) -> None:
        arguments = _bound_arguments(self.args, self.kwargs)
        spec = self._parent_spec(arguments)
        arguments["func"] = _TrialObjective(arguments["func"], self)
        arguments["callbacks"] = [self.on_trial_done, *(arguments["callbacks"] or [])]
        self.value_names = self._value_names()
        self.trial_tags = {
            ROLE_TAG: "trial",
            FRAMEWORK_TAG: "optuna",
            "optuna.study_name": self.study.study_name,
        }
        self.parent = open_run(spec)
        self.call_arguments = arguments

    def call_optimize(self, wrapped: Callable) -> Any:
        """Run the user's ``optimize`` once: with our objective and callback when recording."""
        if self.parent is None or self.call_arguments is None:
            return wrapped(*self.args, **self.kwargs)
        return wrapped(**self.call_arguments)

    def finish(self, error: BaseException | None) -> None:
        if self.parent is None:
            return
        self._end_leftover_trials()
        status = "FINISHED" if error is None else status_for_exception(error)
        try:
            attempt("optuna: summarizing the study", self._log_summary)
        finally:
            self.parent.end(status)

    # -- trials ------------------------------------------------------------------------------

    def start_trial(self, trial: Any) -> TrialRun:
        parent = self.parent
        tags = {**self.trial_tags, TRIAL_TAG: str(trial.number)}
        trial_run = TrialRun(
            parent.client, parent.experiment_id, parent.run_id, f"trial-{trial.number}", tags
        )
        with self.lock:
            self.trials[trial.number] = trial_run
        return trial_run

    def on_trial_done(self, _study: Any, frozen: Any) -> None:
        """Optuna callback (first in the list): end the trial's run with its final state."""
        attempt("optuna: ending a trial run", self._end_trial, frozen)

    def _end_trial(self, frozen: Any) -> None:
        with self.lock:
            trial_run = self.trials.get(frozen.number)
            self.finished[frozen.number] = frozen
        if trial_run is None:
            return
        metrics = dict(zip(self.value_names, frozen.values or ()))
        if frozen.duration is not None:
            metrics["duration_seconds"] = frozen.duration.total_seconds()
        trial_run.finish(
            "FAILED" if frozen.state.name == "FAIL" else "FINISHED",
            params=frozen.params,
            metrics=finite_metrics(metrics),
            histories={"intermediate_value": sorted(frozen.intermediate_values.items())},
            tags={"optuna.trial.state": frozen.state.name},
        )

    def _end_leftover_trials(self) -> None:
        with self.lock:
            leftover = [number for number, run in self.trials.items() if not run.ended]
        if not leftover:
            return
        for frozen in self.study.get_trials(deepcopy=False):
            if frozen.number in leftover:
                attempt("optuna: ending a trial run", self._end_trial, frozen)

    # -- parent ------------------------------------------------------------------------------

    def _parent_spec(self, arguments: dict) -> RunSpec:
        params = {"directions": ",".join(d.name.lower() for d in self.study.directions)}
        params.update(_component_params("sampler", self.study.sampler))
        params.update(_component_params("pruner", self.study.pruner))
        for name in ("n_trials", "timeout", "n_jobs"):
            if arguments.get(name) is not None:
                params[name] = str(arguments[name])
        tags = {
            ROLE_TAG: "study",
            FRAMEWORK_TAG: "optuna",
            "optuna.study_name": self.study.study_name,
            "optuna.storage": type(self.study._storage).__name__,
        }
        return RunSpec(name=self.study.study_name, params=params, tags=tags)

    def _value_names(self) -> list[str]:
        names = getattr(self.study, "metric_names", None)
        if names:
            return list(names)
        count = len(self.study.directions)
        return ["value"] if count == 1 else [f"value_{i}" for i in range(count)]

    def _log_summary(self) -> None:
        with self.lock:
            frozen_trials = [self.finished[n] for n in sorted(self.finished)]
        states = [trial.state.name for trial in frozen_trials]
        metrics = {
            "trials_complete": states.count("COMPLETE"),
            "trials_pruned": states.count("PRUNED"),
            "trials_failed": states.count("FAIL"),
        }
        params, tags = {}, {}
        if len(self.study.directions) == 1 and any(s == "COMPLETE" for s in states):
            best = self.study.best_trial  # study-wide: trials of every process sharing the storage
            metrics["best_value"] = best.value
            params = {f"best_{key}": value for key, value in best.params.items()}
            tags = {"optuna.best_trial_number": str(best.number)}
        if params or tags:
            self.parent.log_params_and_tags(params, tags)
        self.parent.deferring = True  # the metrics are written with the end of the run
        self.parent.log_metrics(finite_metrics(metrics))
        document = history_document(
            "optuna",
            objective=self.value_names[0],
            direction=self.study.directions[0].name.lower(),
            trials=[self._history_row(trial) for trial in frozen_trials],
            importances=_importances(self.study, states),
        )
        # Compact JSON: the C encoder (log_dict indents, with the pure-Python one).
        self.parent.client.log_text(self.parent.run_id, json.dumps(document), HISTORY_ARTIFACT)

    def _history_row(self, frozen: Any) -> dict:
        trial_run = self.trials.get(frozen.number)
        return {
            "number": frozen.number,
            "run_id": trial_run.run_id if trial_run else None,
            "state": frozen.state.name,
            "value": frozen.values[0] if frozen.values else None,
            "params": {key: _plain(value) for key, value in frozen.params.items()},
        }


class _TrialObjective:
    """The user's objective, run with the trial's run active in the trial's thread."""

    def __init__(self, func: Callable, recorder: StudyRecorder):
        self.func = func
        self.recorder = recorder

    def __call__(self, trial: Any) -> Any:
        ok, trial_run = attempt("optuna: starting a trial run", self.recorder.start_trial, trial)
        if not ok:
            return self.func(trial)
        ok, context = attempt("optuna: activating a trial run", _entered, trial_run.active())
        try:
            return self.func(trial)
        finally:
            if ok:
                attempt("optuna: deactivating a trial run", context.__exit__, None, None, None)


def _entered(context: Any) -> Any:
    context.__enter__()
    return context


def _component_params(prefix: str, component: Any) -> dict[str, str]:
    """``sampler: TPESampler`` and its scalar settings (``sampler.n_startup_trials: 10``)."""
    params = {prefix: type(component).__name__}
    for name, value in sorted(vars(component).items()):
        if name.startswith("__") or name.endswith("rng"):
            continue
        if isinstance(value, (bool, int, float, str)):
            params[f"{prefix}.{name.lstrip('_')}"] = str(value)
    return params


def _importances(study: Any, states: list[str]) -> dict[str, float]:
    """Parameter importances (PED-ANOVA: no model fitted, milliseconds) of a single-objective
    study with at least two complete trials; {} otherwise."""
    if len(study.directions) != 1 or states.count("COMPLETE") < 2:
        return {}
    from optuna import importance

    evaluator_class = getattr(importance, "PedAnovaImportanceEvaluator", None)
    if evaluator_class is None:
        return {}
    found = importance.get_param_importances(study, evaluator=evaluator_class())
    return {key: float(value) for key, value in found.items()}


def _plain(value: Any) -> Any:
    return value if isinstance(value, (bool, int, float, str)) or value is None else str(value)
