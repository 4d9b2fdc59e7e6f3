"""Background uploads to remote artifact roots, so that an autologged fit does not wait on S3.

``log_artifacts(..., wait=False)`` (used by ``log_model(wait=False)``, which autologging calls)
stages the files in a private local directory and queues their upload here; one daemon thread
uploads them in order and records their sizes and sha256s once they are stored. Every read of
the same artifact root in this process (listing, download, model load) first waits for the
uploads queued under it, and the interpreter waits for all of them when the main thread ends. A failed upload is
reported as one warning (and raised by the next read of that root in this process).
"""

from __future__ import annotations

import atexit
import queue
import shutil
import threading
import warnings
from collections.abc import Callable

from autolog._core._exceptions import StoreError


class BackgroundUploads:
    """A queue of upload jobs, keyed by artifact root, run by one daemon thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[str, Callable[[], object], str | None]] = queue.Queue()
        self._pending: dict[str, int] = {}
        self._errors: dict[str, BaseException] = {}
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, root: str, job: Callable[[], object], *, cleanup: str | None = None) -> None:
        """Queue ``job`` (uploads under ``root``); ``cleanup`` is a staging directory removed after."""
        with self._condition:
            self._pending[root] = self._pending.get(root, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="autolog-uploads", daemon=True)
                self._thread.start()
        self._jobs.put((root, job, cleanup))

    def wait(self, root: str | None = None) -> None:
        """Block until the uploads queued under ``root`` (all roots if ``None``) are done.

        Raises ``StoreError`` for an upload under ``root`` that failed since the last wait.
        """
        with self._condition:
            self._condition.wait_for(
                lambda: not (self._pending.get(root) if root else any(self._pending.values()))
            )
            error = self._errors.pop(root, None) if root else None
        if error is not None:
            raise StoreError(f"a background upload to {root} failed: {error}") from error

    def pending(self, root: str) -> bool:
        return bool(self._pending.get(root))

    def _work(self) -> None:
        while True:
            root, job, cleanup = self._jobs.get()
            try:
                job()
            except BaseException as exc:
                warnings.warn(
                    f"autolog: uploading artifacts to {root} failed: {exc}", RuntimeWarning, stacklevel=1
                )
                with self._condition:
                    self._errors[root] = exc
            finally:
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
                with self._condition:
                    self._pending[root] -= 1
                    if not self._pending[root]:
                        del self._pending[root]
                    self._condition.notify_all()


_uploads: BackgroundUploads | None = None
_lock = threading.Lock()


def background_uploads() -> BackgroundUploads:
    """The process's upload queue (created, with its exit hook, on first use)."""
    global _uploads
    with _lock:
        if _uploads is None:
            _uploads = BackgroundUploads()
            _wait_at_exit(_uploads.wait)
        return _uploads


def _wait_at_exit(wait: Callable[[], None]) -> None:
    """Run ``wait`` when the main thread ends, before thread pools stop taking work.

    ``atexit`` is too late: by then ``concurrent.futures`` refuses new work, and the S3 client
    resolves names and credentials in asyncio's default executor. ``threading`` runs its exit
    hooks in reverse order of registration, so registering after ``concurrent.futures.thread``
    is imported puts this one first.
    """
    import concurrent.futures.thread  # noqa: F401  (its exit hook must be registered before ours)

    register = getattr(threading, "_register_atexit", None)
    if register is None:
        atexit.register(wait)
    else:
        register(wait)


def wait_for_uploads(root: str | None = None) -> None:
    """Wait for queued uploads (under ``root``, or all); nothing to do if none were ever queued."""
    if _uploads is not None:
        _uploads.wait(root)
