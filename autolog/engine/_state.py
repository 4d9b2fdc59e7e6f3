"""The one piece of mutable engine state: current options, integrations and their patchers."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Optional

from autolog.engine._options import AutologOptions

if TYPE_CHECKING:
    from autolog.engine._integration import Integration
    from autolog.engine._patcher import Patcher


class AutologState:
    """Everything ``autolog()`` configures, in one object (``STATE``).

    Attributes
    ----------
    options : AutologOptions
        The options of the last ``autolog()`` call.
    enabled : bool
        True between ``autolog()`` and ``autolog(disable=True)``.
    integrations : dict
        Discovered integrations by identifier (filled once per process).
    patchers : dict
        The live :class:`Patcher` of each integration that has patched its framework.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.options = AutologOptions(disable=True)
        self.enabled = False
        self.integrations: Optional[dict[str, "Integration"]] = None
        self.patchers: dict[str, "Patcher"] = {}
        self.runs_with_autologged_fit: set[str] = set()


STATE = AutologState()


def get_options() -> AutologOptions:
    """Return the options in effect (``disable=True`` before the first ``autolog()`` call)."""
    return STATE.options


def is_enabled() -> bool:
    """Whether autologging is switched on (it may still be suspended by ``autolog.disabled()``)."""
    return STATE.enabled
