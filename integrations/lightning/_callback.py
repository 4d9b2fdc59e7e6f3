"""The Lightning ``Callback`` that autolog puts into a trainer for the duration of one ``fit``.

One class per Lightning package (``lightning.pytorch`` and ``pytorch_lightning`` each have their
own ``Callback`` base), created on first use. Both are reachable as attributes of this module so
that a trainer pickled by a spawning strategy can be unpickled in its workers.

Per-epoch metrics are ``trainer.callback_metrics`` once the epoch is complete: Lightning merges
what ``LightningModule.on_train_epoch_end`` logs only after the (non-monitoring) callbacks'
``on_train_epoch_end``, so an epoch is read when the next one starts or training ends.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from autolog.integrations._framework import MetricHistory, metric_key

from autolog.engine import attempt

STEP_METRIC_PREFIX = "step/"
_CLASS_NAMES = {
    "lightning.pytorch": "LightningAutologCallback",
    "pytorch_lightning": "PytorchLightningAutologCallback",
}


def new_callback(package: str, log_every_n_step: int | None) -> Any:
    """A fresh autolog callback for a trainer of ``package`` (``"lightning.pytorch"``...)."""
    return callback_class(package)(log_every_n_step)


@functools.cache  # one class per package and process, defined on first use
def callback_class(package: str) -> type:
    """The autolog callback class deriving from ``package``'s own ``Callback``."""
    return _define_callback_class(package)


def __getattr__(name: str) -> type:
    # Unpickling finds the classes by name; define them on demand in a fresh worker process.
    for package, class_name in _CLASS_NAMES.items():
        if name == class_name:
            return callback_class(package)
    raise AttributeError(name)


def _define_callback_class(package: str) -> type:
    import importlib

    base = importlib.import_module(f"{package}.callbacks").Callback
    name = _CLASS_NAMES[package]
    return type(name, (AutologCallbackMixin, base), {"__module__": __name__, "__qualname__": name})


class AutologCallbackMixin:
    """Records per-epoch (and optionally per-step) metrics and the optimizers of one fit.

    Mixed in before a Lightning package's ``Callback``, whose no-op hooks it overrides.

    Parameters
    ----------
    log_every_n_step : int, optional
        Also record the metrics logged by every n-th optimizer step, as ``step/{name}`` with
        step = ``trainer.global_step``.
    """

    def __init__(self, log_every_n_step: int | None = None) -> None:
        self.history = MetricHistory()
        self.log_every_n_step = log_every_n_step
        self.optimizer_params: dict[str, str] = {}
        self._pending_epoch: int | None = None
        self._last_logged_step: int | None = None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        attempt("lightning: optimizer params", self._record_optimizers, trainer)

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._flush_pending_epoch(trainer)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._pending_epoch = trainer.current_epoch

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._flush_pending_epoch(trainer)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._flush_pending_epoch(trainer)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        if self.log_every_n_step and step % self.log_every_n_step == 0 and step != self._last_logged_step:
            self._last_logged_step = step
            attempt("lightning: step metrics", self._record_step, trainer, step)

    # internals ----------------------------------------------------------------------------------

    def _flush_pending_epoch(self, trainer: Any) -> None:
        if self._pending_epoch is None:
            return
        epoch, self._pending_epoch = self._pending_epoch, None
        attempt("lightning: epoch metrics", self._record_epoch, trainer, epoch)

    def _record_epoch(self, trainer: Any, epoch: int) -> None:
        self.history.add(epoch, scalar_metrics(trainer.callback_metrics))

    def _record_step(self, trainer: Any, step: int) -> None:
        # Only what this step logged: trainer.callback_metrics also holds the last epoch's values.
        fresh = trainer._results.metrics(True)["callback"] if trainer._results is not None else {}
        values = scalar_metrics(fresh)
        self.history.add(step, {f"{STEP_METRIC_PREFIX}{key}": value for key, value in values.items()})

    def _record_optimizers(self, trainer: Any) -> None:
        from autolog.integrations.lightning._params import optimizer_params

        self.optimizer_params = optimizer_params(trainer.optimizers, trainer.lr_scheduler_configs)


def scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """``{store key: float}`` for the single-number entries of a Lightning metrics dict."""
    values = {}
    for key, value in metrics.items():
        if hasattr(value, "numel"):
            if value.numel() != 1:
                continue
            value = value.item()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values[metric_key(key)] = float(value)
    return values
