"""Patch scikit-learn's training methods as its modules are imported.

``fit``, ``fit_transform`` and ``fit_predict`` are wrapped on the class that DEFINES each (a
mixin in ``sklearn.base`` included), so one wrapper serves every subclass; whether a call
records a run is decided when it happens, from ``type(estimator)``. Nothing here enumerates
scikit-learn up front (``all_estimators`` would import all of it).
"""

from __future__ import annotations

import functools
import weakref
from types import ModuleType
from typing import Any

from autolog.integrations.sklearn._run_recorder import make_recorder

from autolog.engine import (
    InTrainingCall,
    Patcher,
    autologging_active,
    in_training_call,
    is_suppressed,
    run_training_call,
)

TRAINING_METHODS = ("fit", "fit_transform", "fit_predict")
_SKIPPED_SUBMODULES = ("externals",)
# Modules that define estimators without being listed in ``sklearn.__all__``'s import chain.
_EXTRA_MODULES = (
    "sklearn.base",
    "sklearn.experimental.enable_halving_search_cv",
    "sklearn.experimental.enable_iterative_imputer",
)


def install(patcher: Patcher) -> None:
    """Install every scikit-learn patch through ``patcher`` (``sklearn`` is imported)."""
    import sklearn

    estimators = _EstimatorPatcher(patcher)
    for name in _public_submodules(sklearn) + list(_EXTRA_MODULES):
        patcher.when_imported(name, estimators.patch_loaded_estimators)
    patcher.when_imported("sklearn.utils.parallel", lambda module: _patch_parallel(patcher, module))
    from autolog.integrations.sklearn import _cv_functions, _post_training

    _post_training.patch(patcher)
    _cv_functions.patch(patcher)


def _public_submodules(sklearn: ModuleType) -> list[str]:
    names = getattr(sklearn, "_submodules", None) or getattr(sklearn, "__all__", [])
    return [
        f"sklearn.{name}"
        for name in names
        if name not in _SKIPPED_SUBMODULES
        and name.islower()
        and name[0] != "_"
        and name not in ("clone", "get_config", "set_config", "config_context", "show_versions")
    ]


class _EstimatorPatcher:
    """Wraps the training methods of every loaded scikit-learn estimator class, once."""

    def __init__(self, patcher: Patcher):
        self.patcher = patcher
        self.seen: weakref.WeakSet[type] = weakref.WeakSet()

    def patch_loaded_estimators(self, _module: Any = None) -> None:
        from sklearn.base import BaseEstimator

        for cls in _subclasses(BaseEstimator):
            if cls in self.seen:
                continue
            self.seen.add(cls)
            if cls.__module__.startswith("sklearn."):
                self.patch_class(cls)

    def patch_class(self, cls: type) -> None:
        for method in TRAINING_METHODS:
            owner = defining_class(cls, method)
            if owner is not None and owner.__module__.startswith("sklearn."):
                self.patcher.wrap(owner, method, WRAPPERS[method])


def _subclasses(root: type) -> list[type]:
    found, pending = [], [root]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found


def defining_class(cls: type, attr_name: str) -> type | None:
    """The class in ``cls``'s MRO whose ``__dict__`` holds ``attr_name``."""
    for klass in cls.__mro__:
        if attr_name in vars(klass):
            return klass
    return None


def _training_wrapper(method: str, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    if not autologging_active():
        return wrapped(*args, **kwargs)
    return run_training_call(
        wrapped, args, kwargs, functools.partial(make_recorder, instance, method, wrapped, args, kwargs)
    )


WRAPPERS = {method: functools.partial(_training_wrapper, method) for method in TRAINING_METHODS}


def _patch_parallel(patcher: Patcher, module: ModuleType) -> None:
    patcher.wrap(module.Parallel, "__call__", _parallel_call_wrapper)


def _parallel_call_wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    """Tasks dispatched during a training call run with the flag set, also in pool threads.

    The flags are read here, once: joblib consumes the task generator lazily, after the first
    ``pre_dispatch`` batch from its callback thread, where they are not set.
    """
    training, suppressed_now = in_training_call(), is_suppressed()
    if not (training or suppressed_now) or not args:
        return wrapped(*args, **kwargs)
    flagged = ((_flag_task(function, suppressed_now), a, k) for function, a, k in args[0])
    return wrapped(flagged, *args[1:], **kwargs)


def _flag_task(function: Any, suppressed_now: bool) -> Any:
    # sklearn's ``delayed`` returns a _FuncWrapper that Parallel must still see as such.
    inner = getattr(function, "function", None)
    if inner is not None and hasattr(function, "with_config_and_warning_filters"):
        if not isinstance(inner, InTrainingCall):
            function.function = InTrainingCall(inner, suppressed=suppressed_now)
        return function
    return (
        function
        if isinstance(function, InTrainingCall)
        else InTrainingCall(function, suppressed=suppressed_now)
    )
