"""Patching a framework's ``train`` functions and wrapper ``fit`` methods; installed versions."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from autolog.engine import Patcher


def patch_train_and_fit(
    patcher: Patcher,
    *,
    train_modules: Sequence[str],
    train_wrapper: Callable[..., Any],
    wrapper_module: str,
    wrapper_classes: Sequence[str],
    fit_wrapper: Callable[..., Any],
) -> None:
    """Wrap a framework's ``train`` functions and its wrappers' ``fit`` as their modules are imported.

    Parameters
    ----------
    patcher : Patcher
        The patcher that installs (and later restores) every wrapper.
    train_modules : sequence of str
        Modules whose ``train`` attribute is wrapped with ``train_wrapper`` (every name the
        function is reachable under, e.g. ``xgboost`` and ``xgboost.training``).
    train_wrapper : callable
        The wrapper of ``train``.
    wrapper_module : str
        The module defining the scikit-learn-style wrapper classes.
    wrapper_classes : sequence of str
        Names of those classes; ``fit`` is wrapped once, on the class that defines it
        (``XGBModel`` serves ``XGBRegressor``). A class missing in this version is passed over.
    fit_wrapper : callable
        The wrapper of ``fit``.
    """
    for module_name in train_modules:
        patcher.when_imported(module_name, functools.partial(_wrap_train, patcher, train_wrapper))
    patcher.when_imported(
        wrapper_module, functools.partial(_wrap_fits, patcher, wrapper_classes, fit_wrapper)
    )


def _wrap_train(patcher: Patcher, train_wrapper: Callable[..., Any], module: ModuleType) -> None:
    patcher.wrap(module, "train", train_wrapper)


def _wrap_fits(
    patcher: Patcher, class_names: Sequence[str], fit_wrapper: Callable[..., Any], module: ModuleType
) -> None:
    for class_name in class_names:
        cls = getattr(module, class_name, None)
        owner = _defining_class(cls, "fit") if cls is not None else None
        if owner is not None:
            patcher.wrap(owner, "fit", fit_wrapper)


def _defining_class(cls: type, attr_name: str) -> type | None:
    return next((klass for klass in cls.__mro__ if attr_name in vars(klass)), None)


# -- versions -------------------------------------------------------------------------------------


def installed_version(distributions: Sequence[str]) -> str | None:
    """Version of the first installed distribution among ``distributions`` (e.g. xgboost, xgboost-cpu)."""
    from autolog.context import package_versions

    for distribution in distributions:
        version = package_versions([distribution]).get(distribution)
        if version is not None:
            return version
    return None


def installed_distribution(distributions: Sequence[str]) -> str:
    """The first installed distribution among ``distributions`` (the first one if none is)."""
    from autolog.context import package_versions

    for distribution in distributions:
        if package_versions([distribution]):
            return distribution
    return distributions[0]
