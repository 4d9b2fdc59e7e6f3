"""``Patcher``: wraps attributes with wrapt (or swaps closure cells) and puts back exactly what was there."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from autolog.engine._contract import report_internal_error
from autolog.engine._imports import when_imported, withdraw

_ABSENT = object()


@functools.cache  # a class defined once per process (lazily: wrapt); never reset, wrappers keep it
def _autolog_wrapper_class() -> type:
    """The FunctionWrapper subclass that marks our patches (created on first use: lazy wrapt).

    Unlike plain wrapt proxies, ours pickle and copy like the functions and bound methods they
    stand for: by reference (``getattr(owner, name)`` / ``getattr(instance, name)``), so
    ``pickle.dumps(model.fit)`` and ``joblib.delayed(model.fit)`` keep working.
    """
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

    return AutologFunctionWrapper


def _raw_attribute(owner: Any, attr_name: str) -> Any:
    """The attribute as stored (no descriptor binding): searched along a class's MRO."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attr_name in vars(klass):
                return vars(klass)[attr_name]
        return _ABSENT
    return getattr(owner, attr_name, _ABSENT)


def closure_cell(function: Any, cell_name: str) -> Any:
    """The closure cell of ``function`` for its free variable ``cell_name``, else None."""
    code = getattr(function, "__code__", None)
    closure = getattr(function, "__closure__", None)
    if code is None or not closure or cell_name not in code.co_freevars:
        return None
    return closure[code.co_freevars.index(cell_name)]


def is_autolog_wrapper(value: Any) -> bool:
    """Whether ``value`` is a wrapper installed by a :class:`Patcher`."""
    # Before the first patch no wrapper exists (and wrapt need not be imported to say so).
    return _autolog_wrapper_class.cache_info().currsize > 0 and isinstance(value, _autolog_wrapper_class())


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
    ``owner.__dict__.get(attr)`` is the original object again. :meth:`replace_cell` records the
    closure cell and what it held; :meth:`restore` puts that very object back in the cell.
    """

    def __init__(self, name: str):
        self.name = name
        self.active = True
        self._originals: dict[tuple[Any, str], Any] = {}
        # What this patcher set: restore puts ``previous`` back only where that is still there.
        self._installed: dict[tuple[Any, str], Any] = {}
        self._cells: dict[tuple[Any, str], tuple[Any, Any]] = {}
        self._import_callbacks: list[Callable[[ModuleType], None]] = []
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        patches = len(self._originals) + len(self._cells)
        return f"Patcher({self.name!r}, {patches} patches, active={self.active})"

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
            self._installed[(owner, attr_name)] = proxy
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
            self._installed[(owner, attr_name)] = replacement
            return True

    def replace_cell(
        self, function: Any, cell_name: str, replacement: Any, *, expected: Any = _ABSENT
    ) -> bool:
        """Swap what the closure cell ``cell_name`` of ``function`` holds for ``replacement``.

        ``function`` itself stays the same object (identity, ``__wrapped__``, signature, pickling
        by reference): every reference to it, taken before or after, now runs ``replacement``
        where it used to reference the cell's object. E.g. a decorator's wrapper calling the
        undecorated function through its closure (``validate_params``: ``cell_name="func"``).

        Parameters
        ----------
        function : function
            A closure; not modified, only the contents of one of its cells.
        cell_name : str
            The free variable naming the cell (``function.__code__.co_freevars``).
        replacement : object
            The new contents.
        expected : object, optional
            When given, swap only if the cell holds exactly this object (``is``).

        Returns
        -------
        bool
            True if swapped; False if this patcher already swapped that cell, was restored, the
            function has no such (filled) cell, or the cell does not hold ``expected``.
            :meth:`restore` puts the previous contents back (the same object).
        """
        with self._lock:
            key = (function, cell_name)
            if not self.active or key in self._cells:
                return False
            cell = closure_cell(function, cell_name)
            if cell is None:
                return False
            try:
                current = cell.cell_contents
            except ValueError:  # an empty cell
                return False
            if expected is not _ABSENT and current is not expected:
                return False
            cell.cell_contents = replacement
            self._cells[key] = (cell, current)
            return True

    def is_cell_replaced(self, function: Any, cell_name: str) -> bool:
        """Whether this patcher swapped the closure cell ``cell_name`` of ``function``."""
        return (function, cell_name) in self._cells

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
            except Exception as error:
                report_internal_error(f"{self.name}: patching {module.__name__}", error)

        self._import_callbacks.append(guarded)
        when_imported(module_name, guarded)

    def restore(self) -> None:
        """Remove every patch (newest first), swapped cell and pending import callback; idempotent."""
        with self._lock:
            self.active = False
            for callback in self._import_callbacks:
                withdraw(callback)
            self._import_callbacks.clear()
            for (owner, attr_name), previous in reversed(list(self._originals.items())):
                installed = self._installed.get((owner, attr_name), _ABSENT)
                if vars(owner).get(attr_name, _ABSENT) is not installed:
                    # Something else replaced our patch since (another tool patching over it, or
                    # undoing its own patch that we had captured): theirs stays; ours, if still
                    # reachable through theirs, passes calls straight through once disabled.
                    continue
                if previous is _ABSENT:
                    delattr(owner, attr_name)
                else:
                    setattr(owner, attr_name, previous)
            self._originals.clear()
            self._installed.clear()
            for cell, previous in reversed(list(self._cells.values())):
                cell.cell_contents = previous
            self._cells.clear()
