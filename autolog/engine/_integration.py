"""``Integration``: the small class each framework integration provides, and their discovery."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from autolog.engine._contract import report_internal_error
from autolog.engine._entry_points import distribution_version, entry_points

if TYPE_CHECKING:
    from autolog.engine._patcher import Patcher

ENTRY_POINT_GROUP = "autolog.integrations"


class Integration:
    """Base class of an integration, found through the ``autolog.integrations`` entry points.

    Subclasses set the class attributes and implement :meth:`patch`. The engine calls
    :meth:`patch` once the framework module is imported (at ``autolog()`` time if it already is),
    and undoes everything through the :class:`Patcher` on ``autolog(disable=True)``.

    Attributes
    ----------
    identifier : str
        Short name used in options (``include``/``exclude``) and warnings, e.g. ``"sklearn"``.
    module : str
        The import name whose import triggers :meth:`patch`, e.g. ``"sklearn"``.
    distribution : str, optional
        The installed distribution whose version is checked (defaults to ``module``).
    min_version, max_version : str, optional
        The supported version window, inclusive; ``max_version="1.9"`` admits every 1.9.x.
    """

    identifier: ClassVar[str] = ""
    module: ClassVar[str] = ""
    distribution: ClassVar[str | None] = None
    min_version: ClassVar[str | None] = None
    max_version: ClassVar[str | None] = None

    def patch(self, patcher: Patcher) -> None:
        """Install the integration's wrappers through ``patcher`` (its module is imported)."""
        raise NotImplementedError

    def evaluates(self, model: object) -> bool:
        """Whether :meth:`evaluate` takes ``model`` (checked without importing the framework)."""
        return False

    def evaluate(self, model: object, X: object, y: object, **options: object) -> dict[str, float]:
        """Log ``model``'s metrics and plot data on ``(X, y)``; see :func:`autolog.evaluate`."""
        raise NotImplementedError(f"the {self.identifier} integration does not evaluate models")

    def installed_version(self) -> str | None:
        """The framework's installed version, or None when unknown."""
        return distribution_version(self.distribution or self.module)

    def supports(self, version: str | None) -> bool:
        """Whether ``version`` lies in ``[min_version, max_version]`` (unknown: assumed yes)."""
        if version is None:
            return True
        parsed = _numeric_version(version)
        if self.min_version and parsed < _numeric_version(self.min_version):
            return False
        if self.max_version:
            ceiling = _numeric_version(self.max_version)
            if parsed[: len(ceiling)] > ceiling:
                return False
        return True


def _numeric_version(version: str) -> tuple[int, ...]:
    """``"1.5.2rc1"`` -> ``(1, 5, 2)``: the leading release numbers."""
    numbers = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(int(match.group()))
        if match.group() != part:
            break
    return tuple(numbers)


def discover_integrations() -> dict[str, Integration]:
    """Instantiate every integration declared in the ``autolog.integrations`` entry-point group.

    An entry point that fails to load is reported through the safety contract and skipped.
    The group is read without importing ``importlib.metadata`` where possible (see
    ``_entry_points``): that import alone used to be a fifth of the cost of ``autolog()``.
    """
    found: dict[str, Integration] = {}
    for entry_point in entry_points(ENTRY_POINT_GROUP):
        try:
            integration = entry_point.load()()
        except Exception as error:
            report_internal_error(f"loading integration {entry_point.name!r}", error)
            continue
        found[integration.identifier or entry_point.name] = integration
    return found
