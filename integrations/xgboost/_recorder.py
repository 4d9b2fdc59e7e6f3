"""What an autologged XGBoost training call records, and the callback that collects metrics."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from autolog.integrations._framework import (
    FrameworkRecorder,
    MetricHistory,
    history_from_evals_result,
    metric_key,
)
from autolog.integrations.xgboost import DISTRIBUTIONS

from autolog._core._constants import TAG_DATA_COLUMNS, TAG_DATA_NUM_ROWS, TAG_DATA_SHAPE
from autolog.engine import bound_arguments, qualified_name, report_internal_error, stable_repr

IMPORTANCE_TYPES = ("weight", "gain", "cover")
TRAIN_RUN_NAME = "xgboost.train"
# train() arguments logged as params besides the booster params, with train()'s defaults.
TRAIN_ARGUMENTS = {"num_boost_round": 10, "early_stopping_rounds": None, "maximize": None}


# -- the callback ------------------------------------------------------------------------------


def new_callback() -> Any:
    """A fresh ``xgboost.callback.TrainingCallback`` that records every eval set's metrics."""
    return _callback_class()()


@functools.cache  # defined once per process, on first use (the framework is imported by then)
def _callback_class() -> type:
    from xgboost.callback import TrainingCallback

    class AutologEvalCallback(TrainingCallback):
        """Records the latest value of every ``{eval_name}-{metric}`` after each iteration."""

        def __init__(self) -> None:
            super().__init__()
            self.history = MetricHistory()

        def after_iteration(self, model: Any, epoch: int, evals_log: Mapping) -> bool:
            # Not ``attempt``: its suppression context costs more than the recording itself.
            try:
                self.history.add(epoch, latest_values(evals_log))
            except Exception as error:
                report_internal_error("xgboost: metric callback", error)
            return False  # never asks training to stop

    return AutologEvalCallback


def latest_values(evals_log: Mapping[str, Mapping[str, list]]) -> dict[str, float]:
    """``{"{eval_name}-{metric}": latest value}`` from XGBoost's evaluation log."""
    values = {}
    for eval_name, metrics in evals_log.items():
        for metric_name, history in metrics.items():
            if history:
                latest = history[-1]
                values[metric_key(eval_name, metric_name)] = float(
                    latest[0] if isinstance(latest, tuple) else latest
                )
    return values


# -- recorders ---------------------------------------------------------------------------------


class XGBoostRecorder(FrameworkRecorder):
    """A ``xgboost.train`` call or a wrapper's ``fit``."""

    framework = "xgboost"
    framework_distributions = DISTRIBUTIONS
    flavor = "xgboost"
    serialization_format = "json"
    dtrain: Any = None

    def early_stopping_metrics(self, model: Any) -> dict[str, float]:
        booster = _booster(model)
        best_iteration = booster.attr("best_iteration")
        if best_iteration is None:  # set by XGBoost's EarlyStopping callback only
            return {}
        best = int(best_iteration)
        metrics = {"best_iteration": best, "stopped_iteration": booster.num_boosted_rounds() - 1}
        if booster.attr("best_score") is not None:
            metrics["best_score"] = float(booster.attr("best_score"))
        for key, points in self.history.as_series().items():
            metrics.update({f"best_{key}": value for step, value in points if step == best})
        return metrics

    def feature_importance(self, model: Any) -> dict[str, dict[str, float]]:
        booster = _booster(model)
        importance = {}
        for kind in IMPORTANCE_TYPES:
            try:
                importance[kind] = booster.get_score(importance_type=kind)
            except Exception:
                continue
        return {kind: values for kind, values in importance.items() if values}

    def fallback_history(self, model: Any) -> MetricHistory | None:
        evals_result = getattr(model, "evals_result_", None)  # set by fit only with an eval_set
        return history_from_evals_result(evals_result) if evals_result else None

    def extra_tags(self) -> dict[str, str]:
        return dmatrix_tags(self.dtrain) if self.dtrain is not None else {}


def _booster(model: Any) -> Any:
    return model.get_booster() if hasattr(model, "get_booster") else model


def make_train_recorder(train: Any, args: tuple, kwargs: dict, history: MetricHistory) -> XGBoostRecorder:
    """The recorder of ``xgboost.train(*args, **kwargs)``."""
    bound = bound_arguments(train, args, kwargs)
    recorder = XGBoostRecorder(TRAIN_RUN_NAME, train_params(bound), history)
    recorder.dtrain = bound.get("dtrain")
    return recorder


def train_params(bound: Mapping[str, Any]) -> dict[str, str]:
    """Booster params and the ``train`` arguments that shape training, as stable strings.

    ``params`` may be a dict or a list of pairs (repeated keys, e.g. several ``eval_metric``).
    """
    grouped: dict[str, list] = {}
    raw = bound.get("params") or {}
    for key, value in raw.items() if isinstance(raw, Mapping) else raw:
        grouped.setdefault(str(key), []).append(value)
    params = {key: stable_repr(values[0] if len(values) == 1 else values) for key, values in grouped.items()}
    for name, default in TRAIN_ARGUMENTS.items():
        params[name] = stable_repr(bound.get(name, default))
    for name in ("obj", "custom_metric"):
        if bound.get(name) is not None:
            params[name] = qualified_name(bound[name])
    if bound.get("xgb_model") is not None:
        params["xgb_model"] = _describe_initial_model(bound["xgb_model"])
    if bound.get("evals"):
        params["evals"] = stable_repr([name for _, name in bound["evals"]])
    return params


def _describe_initial_model(model: Any) -> str:
    return str(model) if isinstance(model, str) else type(model).__name__


def dmatrix_tags(dmatrix: Any) -> dict[str, str]:
    """Shape (and feature names) of a ``DMatrix``: its data cannot be read back cheaply to digest."""
    rows, columns = dmatrix.num_row(), dmatrix.num_col()
    tags = {TAG_DATA_SHAPE: f"{rows}x{columns}", TAG_DATA_NUM_ROWS: str(rows)}
    if dmatrix.feature_names:
        tags[TAG_DATA_COLUMNS] = json.dumps(list(dmatrix.feature_names))
    return tags
