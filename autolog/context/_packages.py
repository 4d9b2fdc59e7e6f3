"""Installed package versions and the pinned requirements of a model, from distribution metadata.

No subprocess, no import of the packages: versions come from ``importlib.metadata`` and the set
of modules a model needs comes from the classes of the objects it is made of. Every lookup is
cached per process, so after the first model of a kind this costs microseconds.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterable

from autolog._core._process import PROCESS, StatePart

# Top-level modules whose distribution name differs; saves the 100+ ms that
# packages_distributions() takes to scan every installed distribution.
_KNOWN_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "google.protobuf": "protobuf",
    "dateutil": "python-dateutil",
}
_SKIPPED_MODULES = frozenset({"__main__", "builtins", "__mp_main__"})
_MAX_CONTAINER_ITEMS = 64
_MAX_DEPTH = 6
_HOMOGENEOUS_AFTER = 8

_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _metadata():
    import importlib.metadata

    return importlib.metadata


class _PackageCache(StatePart):
    """Installed versions and module -> distribution maps, read once per process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.headers: dict[str, tuple[str, str] | None] = {}  # distribution -> (Name, Version)
        self.module_distributions: dict[str, str | None] = {}
        self.all_packages_distributions: dict | None = None
        self.requirements_by_classes: dict[frozenset, tuple[str, ...]] = {}


_cache = PROCESS.part("context.packages", _PackageCache)


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Return the installed version of each named distribution.

    Parameters
    ----------
    names : iterable of str
        Distribution names as on PyPI (``"scikit-learn"``, not ``"sklearn"``).

    Returns
    -------
    dict of str to str
        ``{name: version}`` for the names that are installed; missing ones are left out.
    """
    versions = {}
    for name in names:
        version = _installed_version(name)
        if version is not None:
            versions[name] = version
    return versions


def _installed_version(distribution: str) -> str | None:
    headers = _name_and_version(distribution)
    return headers[1] if headers is not None else None


def _name_and_version(distribution: str) -> tuple[str, str] | None:
    """``(Name, Version)`` of an installed distribution, None when it is not installed."""
    if distribution not in _cache.headers:
        _cache.headers[distribution] = _read_name_and_version(distribution)
    return _cache.headers[distribution]


def _read_name_and_version(distribution: str) -> tuple[str, str] | None:
    # ``importlib.metadata.version()`` and ``metadata()`` parse the whole METADATA file with the
    # email parser (~1-3 ms each, twice per package on a process's first model); both headers
    # sit at the top, so read them there and keep the parser for unusual files.
    try:
        dist = _metadata().distribution(distribution)
    except _metadata().PackageNotFoundError:
        return None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            break  # the end of the headers
        field, _, value = line.partition(":")
        if field in ("Name", "Version") and field not in found:
            found[field] = value.strip()
    if not found.get("Version"):
        version = dist.version
        return (dist.metadata["Name"] or distribution, version) if version else None
    return found.get("Name") or distribution, found["Version"]


def requirements_for(obj: object) -> list[str]:
    """Return pinned requirements (``name==version``) of the distributions ``obj`` is made of.

    Walks the classes (and their bases) of ``obj``, of its ``get_params(deep=True)`` values,
    Pipeline steps and fitted attributes (nested estimators, arrays), maps each class's top-level
    module to the installed distribution providing it, and pins its version. Standard-library
    modules and classes defined in ``__main__`` are skipped. Nothing is imported.

    Parameters
    ----------
    obj : object
        A model, typically a fitted estimator.

    Returns
    -------
    list of str
        Sorted, deduplicated ``name==version`` strings.
    """
    modules = frozenset(_top_level_modules(obj))
    cached = _cache.requirements_by_classes.get(modules)
    if cached is None:
        pins = set()
        for module in modules:
            distribution = distribution_for_module(module)
            version = _installed_version(distribution) if distribution else None
            if distribution and version is not None:
                pins.add(f"{_canonical_name(distribution)}=={version}")
        cached = tuple(sorted(pins, key=str.lower))
        _cache.requirements_by_classes[modules] = cached
    return list(cached)


def distribution_for_module(top_level_module: str) -> str | None:
    """Return the distribution that installs ``top_level_module``, or None (e.g. stdlib, local code)."""
    if top_level_module not in _cache.module_distributions:
        _cache.module_distributions[top_level_module] = _find_distribution(top_level_module)
    return _cache.module_distributions[top_level_module]


def _find_distribution(module: str) -> str | None:
    if module in _KNOWN_DISTRIBUTIONS:
        return _KNOWN_DISTRIBUTIONS[module]
    if module in sys.stdlib_module_names or module in _SKIPPED_MODULES:
        return None
    if _provides_module(module, module):
        return module
    candidates = _packages_distributions().get(module) or []
    return candidates[0] if candidates else None


def _provides_module(distribution: str, module: str) -> bool:
    # A distribution named like the module nearly always provides it; check top_level.txt or
    # RECORD when present so "foo" the distribution is not taken for "foo" someone's local package.
    try:
        dist = _metadata().distribution(distribution)
    except _metadata().PackageNotFoundError:
        return False
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        return module in top_level.split()
    return True


def _packages_distributions() -> dict:
    with _cache.lock:
        if _cache.all_packages_distributions is None:
            _cache.all_packages_distributions = _metadata().packages_distributions()
        return _cache.all_packages_distributions


def _canonical_name(distribution: str) -> str:
    headers = _name_and_version(distribution)
    return headers[0] if headers is not None else distribution


def _top_level_modules(obj: object) -> set[str]:
    modules: set[str] = set()
    seen_ids: set[int] = set()
    seen_types: set[type] = set()
    _collect(obj, modules, seen_ids, seen_types, depth=0)
    return modules


def _collect(value, modules, seen_ids, seen_types, depth) -> None:
    if depth > _MAX_DEPTH or id(value) in seen_ids:
        return
    seen_ids.add(id(value))
    value_type = type(value)
    if value_type not in seen_types:
        seen_types.add(value_type)
        for klass in value_type.__mro__:
            _add_module(getattr(klass, "__module__", None), modules)
    if isinstance(value, type):  # a class passed as a parameter
        for klass in value.__mro__:
            _add_module(getattr(klass, "__module__", None), modules)
    elif isinstance(value, (list, tuple, set, frozenset)):
        _collect_items(list(value), modules, seen_ids, seen_types, depth)
    elif isinstance(value, dict):
        _collect_items(list(value.values()), modules, seen_ids, seen_types, depth)
    elif hasattr(value, "get_params"):
        _collect_estimator(value, modules, seen_ids, seen_types, depth)
    elif isinstance(value, _FUNCTION_TYPES):
        _add_module(getattr(value, "__module__", None), modules)  # FunctionTransformer(func=...)
    elif hasattr(value, "__dict__") and not isinstance(value, types.ModuleType):
        _collect_attributes(value, modules, seen_ids, seen_types, depth)


def _collect_items(items: list, modules, seen_ids, seen_types, depth) -> None:
    if len(items) > _HOMOGENEOUS_AFTER:
        # A long collection (an ensemble's estimators_) holds clones of a few classes: one
        # instance of each class tells which packages they need.
        first_of_each_type: dict[type, object] = {}
        for item in items:
            first_of_each_type.setdefault(type(item), item)
        items = list(first_of_each_type.values())
    for item in items[:_MAX_CONTAINER_ITEMS]:
        _collect(item, modules, seen_ids, seen_types, depth + 1)


def _collect_estimator(estimator, modules, seen_ids, seen_types, depth) -> None:
    # scikit-learn's contract stores every constructor param as an attribute of the same name
    # (Pipeline steps included), so the attribute walk covers get_params(deep=True) without its
    # inspect.signature cost; get_params is the fallback for objects without a __dict__.
    if isinstance(getattr(estimator, "__dict__", None), dict):
        _collect_attributes(estimator, modules, seen_ids, seen_types, depth)
        return
    try:
        params = estimator.get_params(deep=True)
    except Exception:  # an unfitted or unusual object: its class is enough
        return
    for item in params.values():
        _collect(item, modules, seen_ids, seen_types, depth + 1)


def _collect_attributes(obj, modules, seen_ids, seen_types, depth) -> None:
    # Fitted attributes (coef_, estimators_, tree_, ...): what a pickle of obj refers to.
    attributes = getattr(obj, "__dict__", None)
    if not isinstance(attributes, dict):
        return
    for item in list(attributes.values())[: _MAX_CONTAINER_ITEMS * 4]:
        _collect(item, modules, seen_ids, seen_types, depth + 1)


def _add_module(module_name: str | None, modules: set[str]) -> None:
    if not module_name:
        return
    top = module_name.partition(".")[0]
    if top and not top.startswith("_") and top not in _SKIPPED_MODULES:
        if top not in sys.stdlib_module_names:
            modules.add(top)
