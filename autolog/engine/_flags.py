"""Per-thread, per-task flags: inside a training call, autolog's own calls, ``autolog.disabled()``.

Context variables follow asyncio tasks and threads started with ``contextvars.copy_context``;
joblib's worker threads start with an empty context, which is why :class:`InTrainingCall` exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

_IN_TRAINING_CALL: ContextVar[bool] = ContextVar("autolog_in_training_call", default=False)
_SUPPRESSED: ContextVar[bool] = ContextVar("autolog_suppressed", default=False)
_DISABLED_HERE: ContextVar[bool] = ContextVar("autolog_disabled_here", default=False)


def in_training_call() -> bool:
    """Whether the current thread/task is inside an autologged training call."""
    return _IN_TRAINING_CALL.get()


@contextlib.contextmanager
def training_call() -> Iterator[None]:
    """Mark the block as inside a training call, so training calls within it make no runs."""
    token = _IN_TRAINING_CALL.set(True)
    try:
        yield
    finally:
        _IN_TRAINING_CALL.reset(token)


def is_suppressed() -> bool:
    """Whether autolog's own code is running (e.g. ``predict`` for training metrics)."""
    return _SUPPRESSED.get()


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Run autolog-internal calls: patched methods inside must neither log nor make runs."""
    token = _SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SUPPRESSED.reset(token)


def disabled_here() -> bool:
    """Whether ``autolog.disabled()`` is in effect for this thread/task."""
    return _DISABLED_HERE.get()


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Suspend autologging for a block, in this thread or async task only.

    Examples
    --------
    >>> import autolog
    >>> with autolog.disabled():              # doctest: +SKIP
    ...     model.fit(X, y)                   # no run
    """
    token = _DISABLED_HERE.set(True)
    try:
        yield
    finally:
        _DISABLED_HERE.reset(token)


class InTrainingCall:
    """Call ``function`` with the "inside a training call" flag set (picklable).

    Wrap tasks handed to a thread pool during a training call, since pool threads do not
    inherit context variables. ``suppressed=True`` also carries :func:`suppressed`.
    """

    __slots__ = ("function", "suppressed")

    def __init__(self, function: Callable[..., Any], suppressed: bool = False):
        self.function = function
        self.suppressed = suppressed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = _IN_TRAINING_CALL.set(True)
        suppress_token = _SUPPRESSED.set(True) if self.suppressed else None
        try:
            return self.function(*args, **kwargs)
        finally:
            if suppress_token is not None:
                _SUPPRESSED.reset(suppress_token)
            _IN_TRAINING_CALL.reset(token)

    def __reduce__(self):
        return (InTrainingCall, (self.function, self.suppressed))


def carry_training_flag(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``function`` in :class:`InTrainingCall` when inside a training call (or suppressed).

    The wrapper carries both flags into the thread that eventually runs ``function``.
    """
    in_training, is_suppressed_now = _IN_TRAINING_CALL.get(), _SUPPRESSED.get()
    if (in_training or is_suppressed_now) and not isinstance(function, InTrainingCall):
        return InTrainingCall(function, suppressed=is_suppressed_now)
    return function
