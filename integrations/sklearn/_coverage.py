"""Which estimator classes make runs: decided at call time from ``type(estimator)``."""

from __future__ import annotations

import weakref
from typing import Optional

from autolog._core._process import PROCESS, StatePart
from autolog.engine import get_options

# Pure transformers: logging a LabelEncoder as "the model" helps nobody (BRIEF section 6).
DEFAULT_EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)



class _CoverageDecisions(StatePart):
    """Whether each estimator class is recorded, with the options that decided it."""

    def __init__(self) -> None:
        self.by_class: "weakref.WeakKeyDictionary[type, tuple[object, bool]]" = weakref.WeakKeyDictionary()


_decisions = PROCESS.part("sklearn.coverage", _CoverageDecisions).by_class


def is_covered(cls: type) -> bool:
    """Whether fitting an instance of ``cls`` records a run under the current options.

    ``exclude`` (class names or module prefixes) wins; estimators from the default-excluded
    modules need a matching ``include`` entry.
    """
    options = get_options()
    cached = _decisions.get(cls)
    if cached is not None and cached[0] is options:
        return cached[1]
    decision = _decide(cls, options.include, options.exclude)
    _decisions[cls] = (options, decision)
    return decision


def _decide(cls: type, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    modules = [cls.__module__]
    sklearn_ancestor = _nearest_sklearn_class(cls)
    if sklearn_ancestor is not None and sklearn_ancestor is not cls:
        modules.append(sklearn_ancestor.__module__)
    if _matches(cls, modules, exclude):
        return False
    default_module = sklearn_ancestor.__module__ if sklearn_ancestor is not None else ""
    if _under_any(default_module, DEFAULT_EXCLUDED_MODULES):
        return _matches(cls, modules, include)
    return True


def _nearest_sklearn_class(cls: type) -> Optional[type]:
    for klass in cls.__mro__:
        if klass.__module__.startswith("sklearn."):
            return klass
    return None


def _matches(cls: type, modules: list[str], names: tuple[str, ...]) -> bool:
    for name in names:
        if name in (cls.__name__, f"{cls.__module__}.{cls.__qualname__}"):
            return True
        if any(_under(module, name) for module in modules):
            return True
    return False


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _under_any(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(_under(module, prefix) for prefix in prefixes)
