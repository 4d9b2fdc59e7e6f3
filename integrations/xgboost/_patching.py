"""Where XGBoost is patched: its training entry points only.

- ``train`` in ``xgboost``, ``xgboost.training`` and ``xgboost.sklearn`` (the name the wrappers
  call): an outermost call records a ``xgboost.train`` run; called from a wrapper's ``fit`` it
  takes the callback that ``fit`` offers.
- ``fit`` on the class that defines it for each wrapper (``XGBModel`` serves ``XGBRegressor``).

The metric callback goes into a NEW callback list, first; the user's list is never modified.
"""

from __future__ import annotations

import functools
from typing import Any

from autolog.integrations._framework import CallbackHandoff, callbacks_with, patch_train_and_fit
from autolog.integrations.xgboost._recorder import XGBoostRecorder, make_train_recorder, new_callback

from autolog.engine import (
    Patcher,
    argument_value,
    attempt,
    autologging_active,
    run_training_call,
    with_argument,
)

TRAIN_MODULES = ("xgboost", "xgboost.training", "xgboost.sklearn")
WRAPPER_CLASSES = (
    "XGBModel",
    "XGBClassifier",
    "XGBRegressor",
    "XGBRanker",
    "XGBRFClassifier",
    "XGBRFRegressor",
)
HANDOFF = CallbackHandoff("autolog_xgboost_fit_callback")


def install(patcher: Patcher) -> None:
    """Install the XGBoost patches through ``patcher`` (``xgboost`` is imported)."""
    patch_train_and_fit(
        patcher,
        train_modules=TRAIN_MODULES,
        train_wrapper=train_wrapper,
        wrapper_module="xgboost.sklearn",
        wrapper_classes=WRAPPER_CLASSES,
        fit_wrapper=fit_wrapper,
    )


def train_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """``xgboost.train``: a run when outermost; the offered callback when called by ``fit``."""
    if autologging_active():
        ok, prepared = attempt("xgboost: preparing train", _prepare_train, wrapped, args, kwargs)
        if not ok:
            return run_training_call(wrapped, args, kwargs, None)
        call_args, call_kwargs, make_recorder = prepared
        return run_training_call(wrapped, call_args, call_kwargs, make_recorder)
    offered = HANDOFF.claim()
    if offered is None:
        return wrapped(*args, **kwargs)
    ok, injected = attempt("xgboost: injecting the callback", _inject, wrapped, args, kwargs, offered)
    call_args, call_kwargs = injected if ok else (args, kwargs)
    return wrapped(*call_args, **call_kwargs)


def fit_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """A wrapper's ``fit``: one run, with the metrics of the ``train`` call inside it."""
    if instance is None or not autologging_active():
        return wrapped(*args, **kwargs)
    ok, callback = attempt("xgboost: preparing fit", new_callback)
    if not ok:
        return run_training_call(wrapped, args, kwargs, None)
    make_recorder = functools.partial(
        XGBoostRecorder.for_wrapper_fit, instance, wrapped, args, kwargs, callback.history
    )
    return run_training_call(HANDOFF.offering(callback, wrapped), args, kwargs, make_recorder)


def _prepare_train(train: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict, Any]:
    callback = new_callback()
    call_args, call_kwargs = _inject(train, args, kwargs, callback)
    make_recorder = functools.partial(make_train_recorder, train, args, kwargs, callback.history)
    return call_args, call_kwargs, make_recorder


def _inject(train: Any, args: tuple, kwargs: dict, callback: Any) -> tuple[tuple, dict]:
    callbacks = callbacks_with(callback, argument_value(train, args, kwargs, "callbacks"))
    return with_argument(train, args, kwargs, "callbacks", callbacks)
