"""``Patcher``: wraps attributes with wrapt and puts back exactly what was there."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any, Callable, Optional

from autolog.engine._contract import report_internal_error
from autolog.engine._imports import when_imported, withdraw

_ABSENT = object()


_wrapper_class: Optional[type] = None


def _autolog_wrapper_class() -> type:
    """The FunctionWrapper subclass that marks our patches (created on first use: lazy wrapt).

    Unlike plain wrapt proxies, ours pickle and copy like the functions and bound methods they
    stand for: by reference (``getattr(owner, name)`` / ``getattr(instance, name)``), so
    ``pickle.dumps(model.fit)`` and ``joblib.delayed(model.fit)`` keep working.
    """
    global _wrapper_class
    if _wrapper_class is None:
        import wrapt

        class AutologBoundFunctionWrapper(wrapt.BoundFunctionWrapper):
            """A method bound through an autolog wrapper."""

            def __reduce_ex__(self, protocol):
                instance = self._self_instance
                return getattr, (instance if instance is not None else self._self_owner, self._self_autolog_attr)

        class AutologFunctionWrapper(wrapt.FunctionWrapper):
            """A wrapt FunctionWrapper installed by autolog."""

            __bound_function_wrapper__ = AutologBoundFunctionWrapper

            def __reduce_ex__(self, protocol):
                return getattr, (self._self_autolog_owner, self._self_autolog_attr)

            def __copy__(self):
                return self

            def __deepcopy__(self, memo):
                return self

        _wrapper_class = AutologFunctionWrapper
    return _wrapper_class


def _raw_attribute(owner: Any, attr_name: str) -> Any:
    """The attribute as stored (no descriptor binding): searched along a class's MRO."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attr_name in vars(klass):
                return vars(klass)[attr_name]
        return _ABSENT
    return getattr(owner, attr_name, _ABSENT)


def is_autolog_wrapper(value: Any) -> bool:
    """Whether ``value`` is a wrapper installed by a :class:`Patcher`."""
    return _wrapper_class is not None and isinstance(value, _wrapper_class)


class Patcher:
    """Installs wrappers and import callbacks for one integration, and removes them exactly.

    Parameters
    ----------
    name : str
        The integration identifier, used in warnings.

    Notes
    -----
    :meth:`wrap` records what ``owner.__dict__`` held (or that the attribute was inherited);
    :meth:`restore` puts that object back or deletes the patch, so afterwards
    ``owner.__dict__.get(attr)`` is the original object again.
    """

    def __init__(self, name: str):
        self.name = name
        self.active = True
        self._originals: dict[tuple[Any, str], Any] = {}
        self._import_callbacks: list[Callable[[ModuleType], None]] = []
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Patcher({self.name!r}, {len(self._originals)} patches, active={self.active})"

    def wrap(self, owner: Any, attr_name: str, wrapper: Callable[..., Any]) -> bool:
        """Replace ``owner.attr_name`` by a wrapt ``FunctionWrapper(original, wrapper)``.

        Parameters
        ----------
        owner : class or module
            Where the attribute is set.
        attr_name : str
            The attribute; looked up with ``getattr`` so inherited methods can be wrapped on a
            subclass (the patch is deleted again on restore).
        wrapper : callable
            ``wrapper(wrapped, instance, args, kwargs)``, the wrapt convention.

        Returns
        -------
        bool
            True if a wrapper was installed; False if the attribute is missing, already wrapped by
            autolog (idempotence), or this patcher was restored.
        """
        with self._lock:
            if not self.active or (owner, attr_name) in self._originals:
                return False
            previous = vars(owner).get(attr_name, _ABSENT) if hasattr(owner, "__dict__") else _ABSENT
            current = _raw_attribute(owner, attr_name)
            if current is _ABSENT or is_autolog_wrapper(previous) or is_autolog_wrapper(current):
                return False
            target = previous if previous is not _ABSENT else current
            proxy = _autolog_wrapper_class()(target, wrapper)
            proxy._self_autolog_owner = owner
            proxy._self_autolog_attr = attr_name
            setattr(owner, attr_name, proxy)
            self._originals[(owner, attr_name)] = previous
            return True

    def replace(self, owner: Any, attr_name: str, replacement: Any) -> bool:
        """Set ``owner.attr_name = replacement`` (any object, e.g. a ``functools.wraps`` function).

        Same bookkeeping as :meth:`wrap`: idempotent per attribute, undone by :meth:`restore`.
        Prefer :meth:`wrap`; use this where a wrapt proxy cannot serve (an object that must
        pickle by value, say).

        Returns
        -------
        bool
            True if installed; False if already patched by this patcher, missing, or restored.
        """
        with self._lock:
            if not self.active or (owner, attr_name) in self._originals:
                return False
            previous = vars(owner).get(attr_name, _ABSENT) if hasattr(owner, "__dict__") else _ABSENT
            if previous is _ABSENT and not hasattr(owner, attr_name):
                return False
            setattr(owner, attr_name, replacement)
            self._originals[(owner, attr_name)] = previous
            return True

    def is_patched(self, owner: Any, attr_name: str) -> bool:
        """Whether this patcher wrapped ``owner.attr_name``."""
        return (owner, attr_name) in self._originals

    def when_imported(self, module_name: str, callback: Callable[[ModuleType], None]) -> None:
        """Run ``callback(module)`` once ``module_name`` is imported (now if it already is).

        The callback is withdrawn by :meth:`restore`; a failure inside it is reported through the
        safety contract and never breaks the user's import.
        """
        with self._lock:
            if not self.active:
                return

        def guarded(module: ModuleType) -> None:
            if not self.active:
                return
            try:
                callback(module)
            except Exception as error:  # noqa: BLE001 - an import must never fail because of us
                report_internal_error(f"{self.name}: patching {module.__name__}", error)

        self._import_callbacks.append(guarded)
        when_imported(module_name, guarded)

    def restore(self) -> None:
        """Remove every patch (newest first) and pending import callback; idempotent."""
        with self._lock:
            self.active = False
            for callback in self._import_callbacks:
                withdraw(callback)
            self._import_callbacks.clear()
            for (owner, attr_name), previous in reversed(list(self._originals.items())):
                if previous is _ABSENT:
                    if attr_name in vars(owner):
                        delattr(owner, attr_name)
                else:
                    setattr(owner, attr_name, previous)
            self._originals.clear()
