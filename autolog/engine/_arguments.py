"""The arguments of a training call by name: read one, replace one, bind them all.

One signature cache for every integration (the training methods are few and called often).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

from autolog._core._process import PROCESS, StatePart


class _SignatureCache(StatePart):
    """Signatures by function; a bound method's (``self`` left out) by its underlying function."""

    def __init__(self) -> None:
        self.functions: weakref.WeakKeyDictionary[Any, inspect.Signature] = weakref.WeakKeyDictionary()
        self.methods: weakref.WeakKeyDictionary[Any, inspect.Signature] = weakref.WeakKeyDictionary()


_signatures = PROCESS.part("engine.arguments.signatures", _SignatureCache)


def signature_of(function: Callable[..., Any]) -> inspect.Signature:
    """``inspect.signature(function)``, cached (a bound method's without ``self``)."""
    underlying = getattr(function, "__func__", None)
    cache, key = (
        (_signatures.methods, underlying) if underlying is not None else (_signatures.functions, function)
    )
    try:
        return cache[key]
    except (KeyError, TypeError):
        pass
    signature = inspect.signature(function)
    try:
        cache[key] = signature
    except TypeError:  # not weak-referenceable: just not cached
        pass
    return signature


def bound_arguments(function: Callable[..., Any], args: tuple, kwargs: dict) -> dict[str, Any]:
    """The caller's arguments by parameter name (defaults not applied; ``{}`` if they do not bind)."""
    try:
        return dict(signature_of(function).bind_partial(*args, **kwargs).arguments)
    except TypeError:  # the call itself is wrong: the original will say so
        return {}


def argument_value(
    function: Callable[..., Any], args: tuple, kwargs: dict, name: str, default: Any = None
) -> Any:
    """The value the caller gave for the argument ``name`` of ``function`` (or ``default``)."""
    if name in kwargs:
        return kwargs[name]
    position = _positional_index(function, name)
    if position is not None and position < len(args):
        return args[position]
    return default


def with_argument(
    function: Callable[..., Any], args: tuple, kwargs: dict, name: str, value: Any
) -> tuple[tuple, dict]:
    """``(args, kwargs)`` with the argument ``name`` of ``function`` set to ``value``.

    Replaced where the user passed it (by position or keyword), added as a keyword otherwise.
    The caller's ``args`` and ``kwargs`` are not modified.
    """
    if name in kwargs:
        return args, {**kwargs, name: value}
    position = _positional_index(function, name)
    if position is not None and position < len(args):
        return args[:position] + (value,) + args[position + 1 :], dict(kwargs)
    return args, {**kwargs, name: value}


def _positional_index(function: Callable[..., Any], name: str) -> int | None:
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for index, parameter in enumerate(signature_of(function).parameters.values()):
        if parameter.name == name:
            return index if parameter.kind in positional else None
    return None
