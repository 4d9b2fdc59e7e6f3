"""What a Lightning fit records as params: hyperparameters, trainer settings, optimizers.

Keys: the module's (and datamodule's) hyperparameters under their own names; trainer settings
as ``trainer.{name}``; the optimizer as ``optimizer`` (class) and ``optimizer.{name}`` (its
param-group hyperparameters, ``params`` excluded), further optimizers as ``optimizer_{i}``;
``EarlyStopping`` settings as ``early_stopping.{name}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autolog.engine import qualified_name, stable_repr

TRAINER_SETTINGS = (
    "max_epochs",
    "min_epochs",
    "max_steps",
    "min_steps",
    "precision",
    "accumulate_grad_batches",
    "gradient_clip_val",
    "gradient_clip_algorithm",
    "check_val_every_n_epoch",
    "val_check_interval",
    "limit_train_batches",
    "limit_val_batches",
    "log_every_n_steps",
    "num_nodes",
    "num_devices",
)
EARLY_STOPPING_SETTINGS = (
    "monitor",
    "patience",
    "mode",
    "min_delta",
    "stopping_threshold",
    "divergence_threshold",
)


def hyperparameters(model: Any, datamodule: Any = None) -> dict[str, str]:
    """``save_hyperparameters`` values of the module, then the datamodule's where not clashing."""
    params = {
        str(key): stable_repr(value) for key, value in dict(getattr(model, "hparams", None) or {}).items()
    }
    for key, value in dict(getattr(datamodule, "hparams", None) or {}).items():
        params.setdefault(str(key), stable_repr(value))
    return params


def trainer_settings(trainer: Any) -> dict[str, str]:
    """``trainer.{setting}`` for the settings that shape training, plus accelerator and strategy."""
    params = {}
    for name in TRAINER_SETTINGS:
        try:
            params[f"trainer.{name}"] = stable_repr(getattr(trainer, name))
        except Exception:
            continue
    for name in ("accelerator", "strategy"):
        component = getattr(trainer, name, None)
        if component is not None:
            params[f"trainer.{name}"] = type(component).__name__
    return params


def optimizer_params(optimizers: Sequence[Any], scheduler_configs: Iterable[Any] = ()) -> dict[str, str]:
    """Class and hyperparameters of each optimizer (first param group; later groups where they differ)."""
    params = {}
    for index, optimizer in enumerate(optimizers):
        prefix = "optimizer" if index == 0 else f"optimizer_{index}"
        params[prefix] = qualified_name(type(optimizer))
        groups = [_group_settings(group) for group in optimizer.param_groups]
        first = groups[0] if groups else {}
        params.update({f"{prefix}.{key}": stable_repr(value) for key, value in first.items()})
        for number, group in enumerate(groups[1:], start=1):
            differing = {key: value for key, value in group.items() if first.get(key) != value}
            params.update(
                {f"{prefix}.group_{number}.{key}": stable_repr(value) for key, value in differing.items()}
            )
    for index, config in enumerate(scheduler_configs):
        name = "lr_scheduler" if index == 0 else f"lr_scheduler_{index}"
        params[name] = qualified_name(type(config.scheduler))
        params[f"{name}.interval"] = str(config.interval)
    return params


def _group_settings(group: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in group.items() if key != "params"}


def early_stopping_params(callback: Any) -> dict[str, str]:
    """``early_stopping.{setting}`` of an ``EarlyStopping`` callback."""
    params = {
        f"early_stopping.{name}": stable_repr(getattr(callback, name))
        for name in EARLY_STOPPING_SETTINGS
        if hasattr(callback, name)
    }
    if hasattr(callback, "min_delta"):  # stored negated when the monitored value should decrease
        params["early_stopping.min_delta"] = stable_repr(abs(float(callback.min_delta)))
    return params


def early_stopping_metrics(callback: Any) -> dict[str, float]:
    """``stopped_epoch`` (0: did not stop early) and ``best_score`` of an ``EarlyStopping`` callback."""
    metrics = {"stopped_epoch": float(callback.stopped_epoch)}
    best = callback.best_score
    metrics["best_score"] = float(best.item() if hasattr(best, "item") else best)
    return metrics
