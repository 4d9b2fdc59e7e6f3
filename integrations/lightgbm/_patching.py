"""Where LightGBM is patched: its training entry points only.

- ``train`` in ``lightgbm`` and ``lightgbm.engine``: an outermost call records a
  ``lightgbm.train`` run.
- ``fit`` on the class that defines it for each wrapper; the metric callback goes into
  ``fit``'s own ``callbacks`` argument.

The callback is put first in a NEW list; the user's list is never modified.
"""

from __future__ import annotations

import functools
from typing import Any

from autolog.integrations._framework import callbacks_with, patch_train_and_fit
from autolog.integrations.lightgbm._recorder import AutologEvalCallback, LightGBMRecorder, make_train_recorder

from autolog.engine import (
    Patcher,
    argument_value,
    attempt,
    autologging_active,
    run_training_call,
    with_argument,
)

TRAIN_MODULES = ("lightgbm", "lightgbm.engine")
WRAPPER_CLASSES = ("LGBMModel", "LGBMClassifier", "LGBMRegressor", "LGBMRanker")


def install(patcher: Patcher) -> None:
    """Install the LightGBM patches through ``patcher`` (``lightgbm`` is imported)."""
    patch_train_and_fit(
        patcher,
        train_modules=TRAIN_MODULES,
        train_wrapper=train_wrapper,
        wrapper_module="lightgbm.sklearn",
        wrapper_classes=WRAPPER_CLASSES,
        fit_wrapper=fit_wrapper,
    )


def train_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """``lightgbm.train``: one run with the callback's metrics."""
    if not autologging_active():
        return wrapped(*args, **kwargs)
    ok, prepared = attempt("lightgbm: preparing train", _prepare, wrapped, args, kwargs, make_train_recorder)
    if not ok:
        return run_training_call(wrapped, args, kwargs, None)
    call_args, call_kwargs, make_recorder = prepared
    return run_training_call(wrapped, call_args, call_kwargs, make_recorder)


def fit_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """A wrapper's ``fit``: one run with the callback's metrics."""
    if instance is None or not autologging_active():
        return wrapped(*args, **kwargs)
    recorder_factory = functools.partial(LightGBMRecorder.for_wrapper_fit, instance)
    ok, prepared = attempt("lightgbm: preparing fit", _prepare, wrapped, args, kwargs, recorder_factory)
    if not ok:
        return run_training_call(wrapped, args, kwargs, None)
    call_args, call_kwargs, make_recorder = prepared
    return run_training_call(wrapped, call_args, call_kwargs, make_recorder)


def _prepare(function: Any, args: tuple, kwargs: dict, recorder_factory: Any) -> tuple[tuple, dict, Any]:
    """The arguments with our callback first in ``callbacks``, and the recorder factory.

    The recorder sees the user's own arguments, not ours.
    """
    callback = AutologEvalCallback()
    callbacks = callbacks_with(callback, argument_value(function, args, kwargs, "callbacks"))
    call_args, call_kwargs = with_argument(function, args, kwargs, "callbacks", callbacks)
    make_recorder = functools.partial(recorder_factory, function, args, kwargs, callback.history)
    return call_args, call_kwargs, make_recorder
