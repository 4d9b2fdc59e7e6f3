"""The safety contract every integration goes through.

1. The user's original callable runs exactly once, outside any ``try`` of ours that could
   swallow its exception; its return value and exception (same object, same traceback) reach
   the caller unchanged.
2. A failure in autolog's own code before or after it becomes ONE warning per kind (deduplicated
   for the process, full traceback at DEBUG on the ``autolog`` logger) and never alters the result;
   one user call produces at most one warning, however many of our steps fail in it.
3. With ``AUTOLOG_STRICT=1`` internal errors re-raise instead, so tests see our bugs.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from autolog._core._process import PROCESS, StatePart
from autolog.engine._flags import suppressed
from autolog.engine._state import STATE


class _LazyLogger:
    """``logging.getLogger("autolog")``, imported on first use (``logging`` is not free)."""

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger("autolog"), name)


LOGGER = _LazyLogger()


class _ReportedFailures(StatePart):
    """The (kind, exception type) pairs already warned about in this process."""

    def __init__(self) -> None:
        self.kinds: set[tuple[str, str]] = set()
        self.lock = threading.Lock()


_reported = PROCESS.part("engine.reported_failures", _ReportedFailures)
# Inside one guarded call: the failures already warned about (the first one only is shown).
_warned_in_call: ContextVar[list | None] = ContextVar("autolog_warned_in_call", default=None)


class AutologWarning(UserWarning):
    """Autolog could not record something; the user's call itself was not affected."""


def strict_mode() -> bool:
    """Whether ``AUTOLOG_STRICT`` asks internal errors to re-raise (read on every failure)."""
    return os.environ.get("AUTOLOG_STRICT", "").strip().lower() in ("1", "true", "yes", "on")


def warn_once(kind: str, message: str) -> None:
    """Emit ``message`` as an :class:`AutologWarning`, once per ``kind`` per process (unless silent)."""
    if _claim_warning((kind, "")) and not STATE.options.silent:
        warnings.warn(message, AutologWarning, stacklevel=3)


def _claim_warning(key: tuple[str, str]) -> bool:
    """Whether a warning for ``key`` may be shown: once per key per process, once per call."""
    in_call = _warned_in_call.get()
    if in_call:
        return False  # this user call already produced its one warning
    with _reported.lock:
        if key in _reported.kinds:
            return False
        _reported.kinds.add(key)
    if in_call is not None:
        in_call.append(key)
    return True


def report_internal_error(kind: str, error: BaseException) -> None:
    """Report a failure of autolog's own code: re-raise in strict mode, else warn once per kind.

    Parameters
    ----------
    kind : str
        What autolog was doing, e.g. ``"sklearn: training metrics"``; warnings are deduplicated
        on ``kind`` and the exception type.
    error : BaseException
        The exception our code raised.
    """
    if strict_mode():
        raise error
    LOGGER.debug("autolog: %s failed", kind, exc_info=error)
    if _claim_warning((kind, type(error).__name__)) and not STATE.options.silent:
        warnings.warn(
            f"autolog: {kind} failed ({type(error).__name__}: {error}); the training call itself was "
            f"not affected. Further failures of this kind are not reported.",
            AutologWarning,
            stacklevel=3,
        )


def attempt(kind: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Run autolog-internal ``function`` under suppression; never let its failure escape.

    Returns
    -------
    (succeeded, value) : tuple
        ``(True, return value)``, or ``(False, None)`` after reporting the error.
        ``KeyboardInterrupt`` and ``SystemExit`` are never swallowed.
    """
    try:
        with suppressed():
            return True, function(*args, **kwargs)
    except Exception as error:
        report_internal_error(kind, error)
        return False, None


def guarded_call(
    original: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    *,
    kind: str,
    before: Callable[[], Any] | None = None,
    on_success: Callable[[Any, Any], None] | None = None,
    on_error: Callable[[Any, BaseException], None] | None = None,
) -> Any:
    """Call ``original(*args, **kwargs)`` once, with autolog code around it held to the contract.

    Parameters
    ----------
    original : callable
        The user's (unpatched) callable.
    kind : str
        Names the failures of our hooks in warnings.
    before : callable, optional
        ``before() -> state``, run first; if it fails, the hooks after are skipped.
    on_success : callable, optional
        ``on_success(state, result)``, run after ``original`` returned.
    on_error : callable, optional
        ``on_error(state, exception)``, run when ``original`` raised; the exception then
        propagates unchanged.

    Returns
    -------
    The return value of ``original``, the same object.
    """
    token = _warned_in_call.set([]) if _warned_in_call.get() is None else None
    try:
        ok, state = attempt(kind, before) if before is not None else (True, None)
        try:
            result = original(*args, **kwargs)
        except BaseException as error:
            if ok and on_error is not None:
                attempt(kind, on_error, state, error)
            raise
        if ok and on_success is not None:
            attempt(kind, on_success, state, result)
        return result
    finally:
        if token is not None:
            _warned_in_call.reset(token)
