"""The engine's part of the process state: current options, integrations and their patchers."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from autolog._core._process import PROCESS, StatePart
from autolog.engine._options import AutologOptions

if TYPE_CHECKING:
    from autolog.engine._integration import Integration
    from autolog.engine._patcher import Patcher


class AutologState(StatePart):
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
    integration_settings : dict
        Per-integration settings (e.g. Lightning's ``log_every_n_step``), by identifier; every
        ``autolog()`` call resets them with the other options.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.options = AutologOptions(disable=True)
        self.enabled = False
        self.integrations: dict[str, Integration] | None = None
        self.patchers: dict[str, Patcher] = {}
        self.runs_with_autologged_fit: set[str] = set()
        self.integration_settings: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        """Remove every patch, then forget options, integrations and settings."""
        for patcher in list(self.patchers.values()):
            patcher.restore()
        AutologState.__init__(self)


STATE = PROCESS.part("engine", AutologState)


def get_options() -> AutologOptions:
    """Return the options in effect (``disable=True`` before the first ``autolog()`` call)."""
    return STATE.options


def is_enabled() -> bool:
    """Whether autologging is switched on (it may still be suspended by ``autolog.disabled()``)."""
    return STATE.enabled


def integration_setting(identifier: str, name: str, default: Any = None) -> Any:
    """The setting ``name`` of the integration ``identifier`` (``default`` when not set).

    Settings are options of one integration (set through its own ``configure()``); like every
    option they last until the next ``autolog()`` call.
    """
    return STATE.integration_settings.get(identifier, {}).get(name, default)


def set_integration_setting(identifier: str, name: str, value: Any) -> None:
    """Set the option ``name`` of the integration ``identifier`` until the next ``autolog()``."""
    with STATE.lock:
        STATE.integration_settings.setdefault(identifier, {})[name] = value
