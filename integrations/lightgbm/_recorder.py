"""What an autologged LightGBM training call records, and the callback that collects metrics."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from autolog.integrations._framework import (
    FrameworkRecorder,
    MetricHistory,
    history_from_evals_result,
    metric_key,
)

from autolog._core._constants import TAG_DATA_SOURCE
from autolog.engine import bound_arguments, qualified_name, report_internal_error, stable_repr

IMPORTANCE_TYPES = ("split", "gain")
TRAIN_RUN_NAME = "lightgbm.train"
TRAIN_ARGUMENTS = {"num_boost_round": 100}
# After LightGBM's record_evaluation (20), before its early_stopping (30): we see exactly the
# iterations that ``evals_result`` holds, the one that triggers early stopping included.
CALLBACK_ORDER = 25


class AutologEvalCallback:
    """A LightGBM callback recording every ``{eval_name}-{metric}`` after each iteration.

    Attributes
    ----------
    order : int
        LightGBM runs callbacks sorted by ``order``.
    before_iteration : bool
        False: called after each iteration, with that iteration's evaluation results.
    history : MetricHistory
    """

    def __init__(self) -> None:
        self.order = CALLBACK_ORDER
        self.before_iteration = False
        self.history = MetricHistory()

    def __call__(self, env: Any) -> None:
        # Not ``attempt``: its suppression context costs more than the recording itself.
        try:
            if env.evaluation_result_list:
                self.history.add(env.iteration, latest_values(env.evaluation_result_list))
        except Exception as error:
            report_internal_error("lightgbm: metric callback", error)


def latest_values(evaluation_results: Sequence[Sequence[Any]]) -> dict[str, float]:
    """``{"{eval_name}-{metric}": value}`` from ``(data_name, metric_name, value, ...)`` tuples."""
    return {metric_key(item[0], item[1]): float(item[2]) for item in evaluation_results}


class LightGBMRecorder(FrameworkRecorder):
    """A ``lightgbm.train`` call or a wrapper's ``fit``."""

    framework = "lightgbm"
    framework_distributions = ("lightgbm",)
    flavor = "lightgbm"
    serialization_format = "text"
    data_source: str | None = None

    def early_stopping_metrics(self, model: Any) -> dict[str, float]:
        booster = _booster(model)
        best_iteration = getattr(booster, "best_iteration", 0)
        if not best_iteration or best_iteration <= 0:  # set by early stopping only
            return {}
        # LightGBM counts the best iteration from 1 (its trees 0 .. best_iteration - 1).
        metrics = {"best_iteration": best_iteration}
        if self.history.last_step is not None:  # the booster itself is cut back to the best iteration
            metrics["stopped_iteration"] = self.history.last_step
        for eval_name, scores in (booster.best_score or {}).items():
            for metric_name, value in scores.items():
                metrics[f"best_{metric_key(eval_name, metric_name)}"] = float(value)
        return metrics

    def feature_importance(self, model: Any) -> dict[str, dict[str, float]]:
        booster = _booster(model)
        names = booster.feature_name()
        return {
            kind: dict(zip(names, (float(v) for v in booster.feature_importance(importance_type=kind))))
            for kind in IMPORTANCE_TYPES
        }

    def fallback_history(self, model: Any) -> MetricHistory | None:
        evals_result = getattr(model, "evals_result_", None) if self.estimator is not None else None
        return history_from_evals_result(evals_result) if evals_result else None

    def extra_tags(self) -> dict[str, str]:
        return {TAG_DATA_SOURCE: self.data_source} if self.data_source else {}


def _booster(model: Any) -> Any:
    return model.booster_ if hasattr(model, "booster_") else model


def make_train_recorder(train: Any, args: tuple, kwargs: dict, history: MetricHistory) -> LightGBMRecorder:
    """The recorder of ``lightgbm.train(*args, **kwargs)``."""
    bound = bound_arguments(train, args, kwargs)
    train_set = bound.get("train_set")
    data = getattr(train_set, "data", None)
    recorder = LightGBMRecorder(TRAIN_RUN_NAME, train_params(bound), history)
    if isinstance(data, (str, os.PathLike)):
        recorder.data_source = os.fspath(data)
    elif data is not None:  # the Dataset is not constructed yet: its raw data is still there
        recorder.X, recorder.y = data, getattr(train_set, "label", None)
    return recorder


def train_params(bound: Mapping[str, Any]) -> dict[str, str]:
    """The params dict and the ``train`` arguments that shape training, as stable strings."""
    raw = bound.get("params") or {}
    params = {str(key): stable_repr(value) for key, value in raw.items()}
    for name, default in TRAIN_ARGUMENTS.items():
        params.setdefault(name, stable_repr(bound.get(name, default)))
    if bound.get("valid_names"):
        params["valid_names"] = stable_repr(list(bound["valid_names"]))
    if bound.get("feval") is not None:
        feval = bound["feval"]
        params["feval"] = stable_repr(
            [qualified_name(f) for f in feval] if isinstance(feval, (list, tuple)) else qualified_name(feval)
        )
    if bound.get("init_model") is not None:
        init_model = bound["init_model"]
        params["init_model"] = (
            os.fspath(init_model) if isinstance(init_model, (str, os.PathLike)) else type(init_model).__name__
        )
    return params
