"""Injecting our callback into the user's training call, and handing it to inner entry points."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable
from typing import Any


def callbacks_with(ours: Any, callbacks: Iterable[Any] | None) -> list:
    """A NEW list: ``ours`` first, then the user's callbacks (their list is left as it was).

    First, so a user callback that stops training cannot keep ours from seeing that iteration,
    and so frameworks that order callbacks by position give the user's the same places.
    """
    return [ours, *(callbacks or ())]


class CallbackHandoff:
    """Offers a callback from an outer training call to the framework entry point it calls.

    ``XGBClassifier.fit`` has no ``callbacks`` argument; it calls ``xgboost.train``, whose
    wrapper claims the callback offered by the fit wrapper. Per thread and async task; a claim
    takes the offer, so a second inner call does not get it too.

    Parameters
    ----------
    name : str
        Name of the context variable (for debugging).
    """

    def __init__(self, name: str):
        self._offered: contextvars.ContextVar[Any] = contextvars.ContextVar(name, default=None)

    def call_offering(self, callback: Any, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` with ``callback`` on offer (exceptions propagate)."""
        token = self._offered.set(callback)
        try:
            return function(*args, **kwargs)
        finally:
            self._offered.reset(token)

    def offering(self, callback: Any, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` bound so that calling it offers ``callback`` to inner entry points."""
        return functools.partial(self.call_offering, callback, function)

    def claim(self) -> Any:
        """Take the callback on offer, or None."""
        callback = self._offered.get()
        if callback is not None:
            self._offered.set(None)
        return callback
