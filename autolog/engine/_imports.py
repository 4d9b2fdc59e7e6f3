"""Post-import callbacks that can be withdrawn (wrapt's hooks cannot be unregistered).

One wrapt hook is registered per module name, once per process; it dispatches to the callbacks
currently registered here, so a disabled autolog leaves nothing active behind.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Callable

ImportCallback = Callable[[ModuleType], None]

_callbacks: dict[str, list[ImportCallback]] = {}
_hooked_names: set[str] = set()
_lock = threading.RLock()


def when_imported(name: str, callback: ImportCallback) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    with _lock:
        _callbacks.setdefault(name, []).append(callback)
        needs_hook = name not in _hooked_names
        _hooked_names.add(name)
    if needs_hook:
        import wrapt

        wrapt.register_post_import_hook(_dispatch, name)


def withdraw(callback: ImportCallback) -> None:
    """Forget ``callback`` for every module it was waiting for."""
    with _lock:
        for waiting in _callbacks.values():
            while callback in waiting:
                waiting.remove(callback)


def _dispatch(module: ModuleType) -> None:
    with _lock:
        waiting = _callbacks.pop(module.__name__, [])
        # A later withdraw/re-register must go through when_imported's "already imported" path.
        _hooked_names.discard(module.__name__)
    for callback in waiting:
        callback(module)
