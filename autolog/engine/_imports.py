"""Post-import callbacks that can be withdrawn.

One meta-path finder (installed on first use, once per process) watches the module names that
have callbacks waiting: for those it asks the finders after it for the real spec and chains the
spec's loader so that the callbacks run right after the module executed. Every other import
passes straight through. Callbacks are dispatched from here, so a disabled autolog leaves nothing
active behind. (wrapt's post-import hooks did the same, but ``import wrapt`` pulls in asyncio:
about a third of the cost of ``autolog()``.)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from autolog._core._process import PROCESS, StatePart

if TYPE_CHECKING:
    from importlib.abc import Loader

ImportCallback = Callable[[ModuleType], None]


class _ImportHooks(StatePart):
    """Callbacks waiting for a module, the names watched, and our meta-path finder."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[ImportCallback]] = {}
        self.hooked_names: set[str] = set()
        self.lock = threading.RLock()
        self.finder: _PostImportFinder | None = None

    def reset(self) -> None:
        """Forget every waiting callback and take our finder off ``sys.meta_path``."""
        if self.finder is not None and self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        _ImportHooks.__init__(self)


_hooks = PROCESS.part("engine.import_hooks", _ImportHooks)


def when_imported(name: str, callback: ImportCallback) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    with _hooks.lock:
        _hooks.callbacks.setdefault(name, []).append(callback)
        _hooks.hooked_names.add(name)
        _install_finder()
    module = sys.modules.get(name)
    if module is not None:
        _dispatch(module)  # imported meanwhile (another thread), before the finder could see it


def withdraw(callback: ImportCallback) -> None:
    """Forget ``callback`` for every module it was waiting for."""
    with _hooks.lock:
        for waiting in _hooks.callbacks.values():
            while callback in waiting:
                waiting.remove(callback)


def _dispatch(module: ModuleType) -> None:
    with _hooks.lock:
        waiting = _hooks.callbacks.pop(module.__name__, [])
        # A later withdraw/re-register must go through when_imported's "already imported" path.
        _hooks.hooked_names.discard(module.__name__)
    for callback in waiting:
        callback(module)


def _install_finder() -> None:
    if _hooks.finder is None:
        _hooks.finder = _PostImportFinder()
    if _hooks.finder not in sys.meta_path:
        sys.meta_path.insert(0, _hooks.finder)


class _PostImportFinder:
    """Finds nothing itself: for a watched name it chains the real spec's loader."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname not in _hooks.hooked_names:
            return None
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    # typeshed wants the Loader ABC; the import system only needs exec_module
                    spec.loader = cast("Loader", _ChainedLoader(spec.loader))
                return spec
        return None

    def invalidate_caches(self) -> None:
        pass


class _ChainedLoader:
    """Runs the real loader, then the callbacks; the module keeps the real loader."""

    def __init__(self, loader: Any):
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._loader
        if getattr(module, "__loader__", None) in (None, self):
            try:
                module.__loader__ = self._loader
            except AttributeError:
                pass
        self._loader.exec_module(module)
        _dispatch(sys.modules.get(module.__name__, module))
