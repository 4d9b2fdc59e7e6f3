"""Where Keras is patched: ``keras.Model.fit`` only.

``fit`` is defined by the backend's trainer class (``TorchTrainer``, ``JAXTrainer``...); the wrapper
is set on ``keras.Model`` itself, which every model class inherits from, and deleted again on
restore. The autolog callback goes first into a NEW callback list passed to that call; the
user's list is never modified.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from autolog.integrations._framework import callbacks_with
from autolog.integrations.keras._recorder import KerasRecorder, new_callback

from autolog.engine import (
    Patcher,
    argument_value,
    attempt,
    autologging_active,
    run_training_call,
    with_argument,
)


def install(patcher: Patcher, keras: ModuleType) -> None:
    """Wrap ``keras.Model.fit``."""
    patcher.wrap(keras.Model, "fit", fit_wrapper)


def fit_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """``Model.fit``: one run per outermost fit, recorded through an injected callback."""
    if instance is None or not autologging_active():
        return wrapped(*args, **kwargs)
    ok, prepared = attempt("keras: preparing fit", _prepare, instance, wrapped, args, kwargs)
    if not ok:
        return run_training_call(wrapped, args, kwargs, None)
    call_args, call_kwargs, make_recorder = prepared
    return run_training_call(wrapped, call_args, call_kwargs, make_recorder)


def _prepare(model: Any, fit: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict, Any]:
    callback = new_callback()
    callbacks = callbacks_with(callback, argument_value(fit, args, kwargs, "callbacks"))
    call_args, call_kwargs = with_argument(fit, args, kwargs, "callbacks", callbacks)
    make_recorder = functools.partial(KerasRecorder, model, fit, args, kwargs, callback)
    return call_args, call_kwargs, make_recorder
