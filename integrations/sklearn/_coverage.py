"""Which estimator classes make runs: decided at call time from ``type(estimator)``.

Like MLflow, preprocessing, imputation, feature extraction/selection and ``ColumnTransformer``
fitted on their own make no run (nor do the other pure transformers: decompositions such as
``PCA``, random projections, kernel approximations, manifold embeddings); inside a Pipeline they
are part of its run. ``include``/``exclude`` name classes (``RandomForestClassifier``, the
public ``sklearn.ensemble.RandomForestClassifier`` or the defining module's path) or module
prefixes (``sklearn.ensemble``); a name that matches nothing is reported once.
"""

from __future__ import annotations

import sys
import weakref

from autolog._core._process import PROCESS, StatePart
from autolog.engine import get_options, warn_once

# Pure transformers: logging a LabelEncoder as "the model" helps nobody (BRIEF section 6).
DEFAULT_EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
    "sklearn.decomposition",
    "sklearn.random_projection",
    "sklearn.kernel_approximation",
    "sklearn.manifold",
)
DEFAULT_EXCLUDED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)


class _CoverageDecisions(StatePart):
    """Whether each estimator class is recorded, with the options that decided it."""

    def __init__(self) -> None:
        self.by_class: weakref.WeakKeyDictionary[type, tuple[object, bool]] = weakref.WeakKeyDictionary()
        self.checked_options: object = None  # the options whose include/exclude names were checked


_coverage = PROCESS.part("sklearn.coverage", _CoverageDecisions)


def is_covered(cls: type) -> bool:
    """Whether fitting an instance of ``cls`` records a run under the current options.

    ``exclude`` (class names or module prefixes) wins; estimators from the default-excluded
    modules need a matching ``include`` entry.
    """
    options = get_options()
    cached = _coverage.by_class.get(cls)
    if cached is not None and cached[0] is options:
        return cached[1]
    if _coverage.checked_options is not options:
        _coverage.checked_options = options
        _warn_unmatched(options.include, options.exclude)
    decision = _decide(cls, options.include, options.exclude)
    _coverage.by_class[cls] = (options, decision)
    return decision


def _decide(cls: type, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    classes = [cls]
    modules = [cls.__module__]
    sklearn_ancestor = _nearest_sklearn_class(cls)
    if sklearn_ancestor is not None and sklearn_ancestor is not cls:
        classes.append(sklearn_ancestor)
        modules.append(sklearn_ancestor.__module__)
    if _matches(classes, modules, exclude):
        return False
    if sklearn_ancestor is not None and _excluded_by_default(sklearn_ancestor):
        return _matches(classes, modules, include)
    return True


def _excluded_by_default(klass: type) -> bool:
    return _under_any(klass.__module__, DEFAULT_EXCLUDED_MODULES) or _path(klass) in DEFAULT_EXCLUDED_CLASSES


def _nearest_sklearn_class(cls: type) -> type | None:
    for klass in cls.__mro__:
        if klass.__module__.startswith("sklearn."):
            return klass
    return None


def _matches(classes: list[type], modules: list[str], names: tuple[str, ...]) -> bool:
    for name in names:
        if any(_names_class(name, klass) for klass in classes):
            return True
        if any(_under(module, name) for module in modules):
            return True
    return False


def _names_class(name: str, klass: type) -> bool:
    """``RandomForestClassifier``, ``sklearn.ensemble._forest.RandomForestClassifier`` or the
    public ``sklearn.ensemble.RandomForestClassifier`` (any module that exports the class)."""
    if name in (klass.__name__, _path(klass)):
        return True
    module_name, _, attribute = name.rpartition(".")
    if attribute != klass.__name__ or not module_name:
        return False
    module = sys.modules.get(module_name)
    return module is not None and getattr(module, attribute, None) is klass


def _path(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _under_any(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(_under(module, prefix) for prefix in prefixes)


# -- names that match nothing ------------------------------------------------------------------


def _warn_unmatched(include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    names = [name for name in (*include, *exclude) if not _means_something(name)]
    for name in names:
        warn_once(
            f"sklearn: include/exclude name {name}",
            f"autolog: the include/exclude entry {name!r} matches no integration, module or "
            "estimator class; it has no effect (use e.g. 'RandomForestClassifier', "
            "'sklearn.ensemble.RandomForestClassifier' or 'sklearn.ensemble').",
        )


def _means_something(name: str) -> bool:
    if name in _integration_names():
        return True
    if "." not in name:
        return any(klass.__name__ == name for klass in _estimator_classes())
    if name.startswith("sklearn"):
        _import_quietly(name)
    if name in sys.modules:
        return True
    module_name, _, attribute = name.rpartition(".")
    if module_name.startswith("sklearn"):
        _import_quietly(module_name)
    module = sys.modules.get(module_name)
    return module is not None and isinstance(getattr(module, attribute, None), type)


def _import_quietly(name: str) -> None:
    import importlib

    try:
        importlib.import_module(name)
    except Exception:
        pass


def _integration_names() -> set[str]:
    from autolog.engine._entry_points import entry_points
    from autolog.engine._integration import ENTRY_POINT_GROUP

    return {entry_point.name for entry_point in entry_points(ENTRY_POINT_GROUP)}


def _estimator_classes() -> list[type]:
    from sklearn.base import BaseEstimator

    found, pending = [], [BaseEstimator]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found
