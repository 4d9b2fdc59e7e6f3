"""Open the store in the background as soon as scikit-learn autologging is installed.

The first autologged fit of a process used to pay for importing SQLAlchemy and building the
store object (most of its overhead). Between ``autolog()`` and the first ``fit`` a script
usually loads its data; a background thread does that work meanwhile, so the fit finds the
store ready. Opening writes nothing to disk (the store is created by its first write), and a
failure here is left for the foreground call to report.
"""

from __future__ import annotations

import threading

from autolog._core._process import PROCESS, StatePart


class _Prefetch(StatePart):
    def __init__(self) -> None:
        self.thread: threading.Thread | None = None


_prefetch = PROCESS.part("sklearn.store_prefetch", _Prefetch)


def prefetch_store() -> None:
    """Start opening the store of the tracking URI in effect (once per process)."""
    if _prefetch.thread is not None:
        return
    _prefetch.thread = threading.Thread(target=_open_quietly, name="autolog-store-prefetch", daemon=True)
    _prefetch.thread.start()


def _open_quietly() -> None:
    try:
        from autolog.tracking import get_store

        get_store()
    except Exception:
        pass
