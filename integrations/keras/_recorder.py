"""What an autologged ``keras.Model.fit`` records, and the callback that collects its metrics."""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from typing import Any

from autolog.integrations._framework import FrameworkRecorder, MetricHistory, metric_key

from autolog.engine import RunHandle, attempt, bound_arguments, qualified_name, stable_repr

SUMMARY_ARTIFACT = "model_summary.txt"
# fit() arguments logged as params, with fit()'s defaults (Keras 3).
FIT_ARGUMENTS = {
    "epochs": 1,
    "batch_size": None,
    "validation_split": 0.0,
    "shuffle": True,
    "initial_epoch": 0,
    "steps_per_epoch": None,
    "validation_steps": None,
    "validation_batch_size": None,
    "validation_freq": 1,
}
EARLY_STOPPING_SETTINGS = (
    "monitor",
    "patience",
    "min_delta",
    "mode",
    "baseline",
    "restore_best_weights",
    "start_from_epoch",
)


# -- the callback ------------------------------------------------------------------------------


def new_callback() -> Any:
    """A fresh ``keras.callbacks.Callback`` recording every epoch's logs."""
    return _callback_class()()


@functools.cache  # defined once per process, on first use (the framework is imported by then)
def _callback_class() -> type:
    import keras

    class AutologKerasCallback(keras.callbacks.Callback):
        """Records the logs of every epoch (step = epoch) and the fit's ``params``."""

        def __init__(self) -> None:
            super().__init__()
            self.history = MetricHistory()
            self.fit_params: dict = {}

        def on_train_begin(self, logs: Mapping | None = None) -> None:
            self.fit_params = dict(self.params or {})

        def on_epoch_end(self, epoch: int, logs: Mapping | None = None) -> None:
            attempt("keras: epoch metrics", self._record_epoch, epoch, logs or {})

        def _record_epoch(self, epoch: int, logs: Mapping) -> None:
            self.history.add(epoch, scalar_logs(logs))

    return AutologKerasCallback


def scalar_logs(logs: Mapping[str, Any]) -> dict[str, float]:
    """``{store key: float}`` for the single-number entries of Keras' epoch logs."""
    values = {}
    for key, value in logs.items():
        try:
            values[metric_key(key)] = float(value)
        except (TypeError, ValueError):  # a non-scalar metric (e.g. a confusion matrix)
            continue
    return values


# -- the recorder ------------------------------------------------------------------------------


class KerasRecorder(FrameworkRecorder):
    """One ``Model.fit``: fit params, optimizer config, per-epoch metrics, early stopping, model
    summary and the model as ``.keras``.

    Parameters
    ----------
    model : keras.Model
    fit : the bound ``fit`` being called
    args, kwargs : the user's arguments to it
    callback : the autolog callback injected into the call (holds the history)
    """

    framework = "keras"
    framework_distributions = ("keras",)
    flavor = "keras"
    serialization_format = "keras"

    def __init__(self, model: Any, fit: Any, args: tuple, kwargs: dict, callback: Any):
        bound = bound_arguments(fit, args, kwargs)
        self.model = model
        self.callback = callback
        self.early_stopping = _early_stopping_callback(bound.get("callbacks"))
        params = {**fit_params(bound), **compile_params(model)}
        if self.early_stopping is not None:
            params.update(early_stopping_params(self.early_stopping))
        X, y = _tabular(bound.get("x")), _tabular(bound.get("y"))
        super().__init__(type(model).__name__, params, callback.history, X=X, y=y if X is not None else None)

    def extra_tags(self) -> dict[str, str]:
        cls = type(self.model)
        return {"estimator_name": cls.__name__, "estimator_class": qualified_name(cls)}

    def model_of(self, result: Any) -> Any:
        return self.model  # fit returns the History

    def early_stopping_metrics(self, model: Any) -> dict[str, float]:
        if self.early_stopping is None:
            return {}
        callback = self.early_stopping
        metrics = {"stopped_epoch": callback.stopped_epoch, "best_score": callback.best}
        if getattr(callback, "best_epoch", None) is not None:
            metrics["best_epoch"] = callback.best_epoch
        return metrics

    def log_results(self, run: RunHandle, result: Any) -> None:
        super().log_results(run, result)
        attempt("keras: model summary", self._log_summary, run)

    def log_late_params(self, run: RunHandle) -> None:
        """``steps`` per epoch, known once ``fit`` began (after a failure too)."""
        steps = self.callback.fit_params.get("steps")
        if steps is not None:
            run.log_params_and_tags({"steps": stable_repr(steps)}, {})

    def _log_summary(self, run: RunHandle) -> None:
        lines: list[str] = []
        self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
        run.log_text("\n".join(lines) + "\n", SUMMARY_ARTIFACT)


def fit_params(bound: Mapping[str, Any]) -> dict[str, str]:
    """The ``fit`` arguments that shape training, as stable strings (defaults where not given)."""
    params = {name: stable_repr(bound.get(name, default)) for name, default in FIT_ARGUMENTS.items()}
    if bound.get("validation_data") is not None:
        params["validation_data"] = "given"
    for name in ("class_weight",):
        if bound.get(name) is not None:
            params[name] = stable_repr(bound[name])
    return params


def compile_params(model: Any) -> dict[str, str]:
    """``optimizer`` (class), ``optimizer.{key}`` from ``get_config()``, and the loss."""
    params = {}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        params["optimizer"] = _public_optimizer_name(optimizer)
        params.update(
            {f"optimizer.{key}": stable_repr(value) for key, value in optimizer.get_config().items()}
        )
    loss = getattr(model, "loss", None)
    if loss is not None:
        params["loss"] = stable_repr(loss)
    return params


def _public_optimizer_name(optimizer: Any) -> str:
    """``keras.optimizers.Adam`` rather than the backend's ``keras.src.backend.torch...Adam``."""
    import keras

    public = getattr(keras.optimizers, type(optimizer).__name__, None)
    if isinstance(public, type) and isinstance(optimizer, public):
        return f"keras.optimizers.{public.__name__}"
    return qualified_name(type(optimizer))


def early_stopping_params(callback: Any) -> dict[str, str]:
    """``early_stopping.{setting}`` of a Keras ``EarlyStopping`` callback."""
    return {
        f"early_stopping.{name}": stable_repr(getattr(callback, name))
        for name in EARLY_STOPPING_SETTINGS
        if hasattr(callback, name)
    }


def _early_stopping_callback(callbacks: Any) -> Any | None:
    import keras

    return next((cb for cb in callbacks or () if isinstance(cb, keras.callbacks.EarlyStopping)), None)


def _tabular(data: Any) -> Any:
    """``data`` when it is an array or DataFrame (fingerprint, input example), else None."""
    numpy = sys.modules.get("numpy")
    pandas = sys.modules.get("pandas")
    if numpy is not None and isinstance(data, numpy.ndarray):
        return data
    if pandas is not None and isinstance(data, (pandas.DataFrame, pandas.Series)):
        return data
    return None
