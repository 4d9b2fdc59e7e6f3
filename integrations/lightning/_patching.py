"""Where Lightning is patched: ``Trainer.fit`` of one Lightning package, nothing else.

For the duration of an outermost fit the trainer's ``callbacks`` list is a NEW list with the
autolog callback first; afterwards the trainer holds the user's list object again (or, when
Lightning replaced the list during fit, e.g. for ``configure_callbacks``, that list without ours).
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from autolog.integrations._framework import callbacks_with
from autolog.integrations.lightning._callback import new_callback
from autolog.integrations.lightning._recorder import LightningPackage, LightningRecorder

from autolog.engine import (
    Patcher,
    argument_value,
    attempt,
    autologging_active,
    integration_setting,
    run_training_call,
    set_integration_setting,
)

SETTINGS = "lightning"  # both Lightning packages share their settings


def set_log_every_n_step(n: int | None) -> None:
    """Record step metrics every ``n`` optimizer steps in later fits (None: per epoch only)."""
    set_integration_setting(SETTINGS, "log_every_n_step", n)


def install(patcher: Patcher, package: LightningPackage, module: ModuleType) -> None:
    """Wrap ``module.Trainer.fit`` (``module`` is ``package``'s imported top module)."""
    patcher.wrap(module.Trainer, "fit", functools.partial(fit_wrapper, package))


def fit_wrapper(package: LightningPackage, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """``Trainer.fit``: one run per outermost fit, recorded through an injected callback."""
    if instance is None or not autologging_active():
        return wrapped(*args, **kwargs)
    ok, prepared = attempt(
        f"{package.framework}: preparing fit", _prepare, package, instance, wrapped, args, kwargs
    )
    if not ok or prepared is None:
        return run_training_call(wrapped, args, kwargs, None)
    callback, make_recorder = prepared
    fit = functools.partial(fit_with_callback, package, instance, callback, wrapped)
    return run_training_call(fit, args, kwargs, make_recorder)


def _prepare(package: LightningPackage, trainer: Any, fit: Any, args: tuple, kwargs: dict) -> tuple | None:
    if getattr(trainer, "global_rank", 0) != 0:
        return None  # a worker process of a multi-process strategy: rank 0 records the run
    callback = new_callback(package.import_name, integration_setting(SETTINGS, "log_every_n_step"))
    model = argument_value(fit, args, kwargs, "model")
    datamodule = argument_value(fit, args, kwargs, "datamodule")
    make_recorder = functools.partial(LightningRecorder, package, trainer, model, datamodule, callback)
    return callback, make_recorder


def fit_with_callback(
    package: LightningPackage, trainer: Any, callback: Any, fit: Any, *args: Any, **kwargs: Any
) -> Any:
    """Call ``fit(*args, **kwargs)`` with ``callback`` in ``trainer.callbacks``, then take it out."""
    ok, users_list = attempt(f"{package.framework}: injecting the callback", _inject, trainer, callback)
    try:
        return fit(*args, **kwargs)
    finally:
        if ok:
            attempt(f"{package.framework}: removing the callback", _remove, trainer, callback, users_list)


def _inject(trainer: Any, callback: Any) -> list:
    users_list = trainer.callbacks
    trainer.callbacks = callbacks_with(callback, users_list)
    return users_list


def _remove(trainer: Any, callback: Any, users_list: list) -> None:
    remaining = [cb for cb in trainer.callbacks if cb is not callback]
    unchanged = len(remaining) == len(users_list) and all(a is b for a, b in zip(remaining, users_list))
    trainer.callbacks = users_list if unchanged else remaining
