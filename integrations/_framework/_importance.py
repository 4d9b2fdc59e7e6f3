"""Feature importance artifacts: JSON always, a plot when it is cheap."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from autolog.engine import RunHandle

IMPORTANCE_ARTIFACT = "feature_importance.json"
IMPORTANCE_PLOT_ARTIFACT = "feature_importance.png"
# A plot costs ~50-100 ms of drawing: worth it only next to a training call that took long.
PLOT_MIN_FIT_SECONDS = 2.0
PLOT_MAX_FEATURES = 20


def log_feature_importance(
    run: RunHandle, importance: Mapping[str, Mapping[str, float]], fit_seconds: float
) -> None:
    """Log ``{importance_type: {feature: value}}`` as JSON, and as a plot when that is cheap.

    The plot is drawn only when matplotlib is already imported (no import cost) and the
    training call took at least ``PLOT_MIN_FIT_SECONDS`` (drawing is then a few percent of it).
    """
    rounded = {kind: {str(f): float(v) for f, v in values.items()} for kind, values in importance.items()}
    run.client.log_dict(run.run_id, rounded, IMPORTANCE_ARTIFACT)
    if "matplotlib" in sys.modules and fit_seconds >= PLOT_MIN_FIT_SECONDS:
        _log_importance_plot(run, rounded)


def _log_importance_plot(run: RunHandle, importance: Mapping[str, Mapping[str, float]]) -> None:
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    kind = "gain" if "gain" in importance else next(iter(importance))
    top = sorted(importance[kind].items(), key=lambda item: item[1], reverse=True)[:PLOT_MAX_FEATURES]
    figure = Figure(figsize=(6, 0.3 * len(top) + 1))
    axes = figure.add_subplot()
    axes.barh([name for name, _ in reversed(top)], [value for _, value in reversed(top)])
    axes.set_xlabel(f"importance ({kind})")
    figure.tight_layout()
    run.client.log_figure(run.run_id, figure, IMPORTANCE_PLOT_ARTIFACT)
