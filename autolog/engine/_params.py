"""Stable strings for params: the same configuration always logs the same text.

Shared by every integration (scikit-learn estimators, XGBoost/LightGBM params, Lightning
hyperparameters, Keras settings).

No memory addresses: callables become qualified names, estimators their class and changed
params, floats ``repr``, mappings and sets sorted, numpy arrays summarised.
"""

from __future__ import annotations

import functools
import inspect
import re
import weakref
from collections.abc import Callable
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog._core._process import PROCESS, StatePart
from autolog._core._validation import validate_key
from autolog.engine._contract import warn_once

_MAX_DEPTH = 6
_MAX_LISTED_ARRAY_ITEMS = 16
_NO_DEFAULT = object()
_CONTAINERS = (dict, list, tuple, set, frozenset)
_MOCK_ID = re.compile(r"\bid='\d+'")  # unittest.mock's repr: <Mock id='140...'>


class _DefaultParamsCache(StatePart):
    """The texts of constructor defaults by estimator class (weakly keyed: a class can go away)."""

    def __init__(self) -> None:
        self.by_class: weakref.WeakKeyDictionary[type, dict] = weakref.WeakKeyDictionary()


_defaults = PROCESS.part("engine.params.default_texts", _DefaultParamsCache)


def stable_params(estimator: Any, *, deep: bool = True) -> dict[str, str]:
    """``estimator.get_params(deep=deep)`` as ``{key: stable string}``, keys sorted.

    NUL and unpaired surrogates (which no database stores) are written as backslash escapes, so
    such a value cannot cost the run.
    """
    params = _get_params(estimator, deep)
    reprs = _Reprs()  # a Pipeline's steps appear twice: in ``steps`` and under their names
    # str keys: a step named by a number (invalid, but fit is the one to say so) must not cost the run
    texts = {str(key): _storable(reprs.text(value, 0)) for key, value in params.items()}
    return storable_keys(dict(sorted(texts.items())), "param")


def _get_params(estimator: Any, deep: bool) -> dict:
    """``get_params(deep=deep)``; the shallow params when the deep walk fails (a step given as a
    class, not an instance: scikit-learn itself rejects that in ``fit``, with its own message)."""
    try:
        return estimator.get_params(deep=deep)
    except Exception:
        if not deep:
            return {}
    try:
        return estimator.get_params(deep=False)
    except Exception:
        return {}


def storable_keys(values: dict, kind: str) -> dict:
    """``values`` without the keys the store refuses (over 250 characters, odd characters).

    One bad key costs that key, not the run: each is left out with one warning.
    """
    refused = []
    for key in values:
        try:
            validate_key(key, kind)
        except InvalidInputError:
            refused.append(key)
    if not refused:
        return values
    shown = ", ".join(repr(key if len(key) <= 60 else key[:57] + "...") for key in refused[:3])
    warn_once(
        f"sklearn: unstorable {kind} key",
        f"autolog: {len(refused)} {kind} key(s) the store cannot hold (over 250 characters or "
        f"characters outside letters, digits and _-./ :) were left out: {shown}",
    )
    return {key: value for key, value in values.items() if key not in refused}


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> str:
    if _UNSTORABLE.search(text) is None:
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def stable_repr(value: Any, depth: int = 0) -> str:
    """A deterministic, address-free text for ``value``."""
    return _Reprs().text(value, depth)


class _Reprs:
    """The texts of one :func:`stable_repr` walk, each estimator's made once.

    An estimator's text made at ``depth`` without cutting anything off is also its text at any
    smaller depth, so it is reused there (the objects stay alive for the walk: ids stay unique).
    """

    def __init__(self) -> None:
        self.estimators: dict[int, tuple[int, str]] = {}
        self.cut = False

    def text(self, value: Any, depth: int) -> str:
        if depth > _MAX_DEPTH:
            self.cut = True
            return "..."
        if value is None or isinstance(value, (bool, int, str)):
            return str(value)
        if isinstance(value, float):
            return repr(float(value))  # np.float64 is a float whose repr names numpy
        if not isinstance(value, _CONTAINERS) and type(value).__module__ != "numpy" and _is_estimator(value):
            return self._estimator(value, depth)
        return _other_repr(value, depth, self.text)

    def _estimator(self, estimator: Any, depth: int) -> str:
        known = self.estimators.get(id(estimator))
        if known is not None and known[0] >= depth:
            return known[1]
        cut_before, self.cut = self.cut, False
        text = _estimator_repr(estimator, depth, self.text)
        if not self.cut:
            self.estimators[id(estimator)] = (depth, text)
        self.cut = self.cut or cut_before
        return text


def _other_repr(value: Any, depth: int, text: Callable[[Any, int], str]) -> str:
    if type(value).__module__ == "numpy":
        return _numpy_repr(value, depth, text)
    if isinstance(value, dict):
        items = sorted((text(k, depth + 1), text(v, depth + 1)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(text(item, depth + 1) for item in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(text(item, depth + 1) for item in value)) + "}"
    if isinstance(value, functools.partial):
        args = [qualified_name(value.func)] + [text(a, depth + 1) for a in value.args]
        args += [f"{k}={text(v, depth + 1)}" for k, v in sorted(value.keywords.items())]
        return f"partial({', '.join(args)})"
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return qualified_name(value)
    return _object_repr(value)


def qualified_name(obj: Any) -> str:
    """``module.QualName`` of a function or class (``__main__`` kept, addresses never)."""
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__qualname__
    return f"{module}.{name}" if module and module != "builtins" else name


def _numpy_repr(value: Any, depth: int, text: Callable[[Any, int], str]) -> str:
    if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        if value.size <= _MAX_LISTED_ARRAY_ITEMS:
            return f"array({text(value.tolist(), depth + 1)}, dtype={value.dtype})"
        return f"array(shape={tuple(value.shape)}, dtype={value.dtype})"
    if hasattr(value, "item"):  # numpy scalar
        return text(value.item(), depth)
    if type(value).__name__ in ("RandomState", "Generator"):
        return f"{type(value).__name__}()"
    if type(value).__name__ == "dtype":
        return str(value)
    return _object_repr(value)


def _is_estimator(value: Any) -> bool:
    # Looked up on the class: a ``unittest.mock.Mock`` answers every attribute, get_params too.
    return callable(getattr(type(value), "get_params", None)) and not isinstance(value, type)


def _estimator_repr(estimator: Any, depth: int, text: Callable[[Any, int], str]) -> str:
    try:
        params = estimator.get_params(deep=False)
    except Exception:  # an estimator that cannot report its params: its class is enough
        return type(estimator).__name__ + "(...)"
    defaults = _default_texts(type(estimator))
    changed = []
    for key in sorted(params):
        shown = text(params[key], depth + 1)
        if shown != defaults.get(key, _NO_DEFAULT):  # a value cut off ("...") is never a default
            changed.append(f"{key}={shown}")
    return f"{type(estimator).__name__}({', '.join(changed)})"


def _default_texts(cls: type[object]) -> dict:
    """The texts of the constructor's defaults, made once per class."""
    try:
        return _defaults.by_class[cls]
    except KeyError:
        pass
    try:
        signature = inspect.signature(cls.__init__)
        defaults = {
            name: stable_repr(p.default)
            for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty
        }
    except (TypeError, ValueError):
        defaults = {}
    _defaults.by_class[cls] = defaults
    return defaults


def _object_repr(value: Any) -> str:
    text = repr(value)
    if " at 0x" in text or " object at " in text or _MOCK_ID.search(text):
        return qualified_name(type(value)) + "()"
    return text
