"""The one owner of autolog's process-wide mutable state.

Every module that keeps something for the life of the process (the tracking URI and its cached
stores, the active experiment, the open runs, the engine's options and patchers, the warnings
already shown, cached run context and package versions, caches of signatures and defaults ...)
asks :data:`PROCESS` for a named *part* at import time and keeps only that reference::

    class _UriState(StatePart):
        def __init__(self) -> None:
            self.explicit_uri = None
            self.stores = {}

    _state = PROCESS.part("tracking.uri", _UriState)

A part is created on first request and the same object is returned afterwards, so modules never
rebind module globals. :meth:`ProcessState.reset` puts parts back to their first-use state (the
tests' one way to start clean); a part whose state reaches outside itself (installed patches, a
meta-path finder, a thread pool) overrides :meth:`StatePart.reset` to undo that first.

``atexit`` handlers are registered through :meth:`ProcessState.at_exit` on first use, never at
import: importing autolog changes nothing in the interpreter.

This module imports nothing of autolog.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import TypeVar

PartT = TypeVar("PartT", bound="StatePart")


class StatePart:
    """Base of a piece of process state; :meth:`reset` re-runs ``__init__`` by default."""

    def reset(self) -> None:
        """Return to the state of first use."""
        self.__init__()  # type: ignore[misc]


class ProcessState:
    """Named :class:`StatePart` objects, created on first request, reset together."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._parts: dict[str, StatePart] = {}
        self._exit_handlers: list[Callable[[], None]] = []

    def part(self, name: str, factory: Callable[[], PartT]) -> PartT:
        """The part called ``name``, made by ``factory()`` on the first request."""
        with self._lock:
            existing = self._parts.get(name)
            if existing is None:
                existing = self._parts[name] = factory()
            return existing  # type: ignore[return-value]

    def names(self) -> list[str]:
        """The names of the parts created so far."""
        with self._lock:
            return sorted(self._parts)

    def reset(self, *names: str) -> None:
        """Reset the parts ``names`` (all parts when none is named); unknown names are ignored."""
        with self._lock:
            parts = [self._parts[n] for n in (names or tuple(self._parts)) if n in self._parts]
        for part in parts:
            part.reset()

    def at_exit(self, handler: Callable[[], None]) -> None:
        """Run ``handler`` at interpreter exit; registered once, when first asked."""
        with self._lock:
            if handler in self._exit_handlers:
                return
            self._exit_handlers.append(handler)
        atexit.register(handler)


PROCESS = ProcessState()
"""The process's state owner. Tests start clean with ``PROCESS.reset()``."""
