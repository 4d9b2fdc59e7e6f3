"""The scikit-learn side of ``autolog.evaluate``: metrics and plot data on held-out data."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    name: str,
    sample_weight: Any = None,
    pos_label: Hashable | None = None,
    run_id: str | None = None,
) -> dict[str, float]:
    """Compute and log; ``autolog.evaluate`` (autolog/engine/_evaluate.py) checked the arguments."""
    metrics, plots = _compute(model, X, y, name, sample_weight, pos_label)
    _log(metrics, plots, name, run_id)
    return metrics


def _compute(
    model: Any, X: Any, y: Any, name: str, sample_weight: Any, pos_label: Any
) -> tuple[dict, dict | None]:
    from autolog.integrations.sklearn._evaluation import evaluation_data
    from autolog.integrations.sklearn._metrics import training_metrics

    from autolog.engine import finite_metrics, suppressed

    collected: dict = {}
    with suppressed():  # our predict calls are not the user's: no post-training metrics from them
        metrics = training_metrics(
            model, X, y, sample_weight, pos_label, prefix=f"{name}_", collected=collected
        )
        plots = evaluation_data(model, X, collected)
    return finite_metrics(metrics), plots


def _log(metrics: dict, plots: dict | None, name: str, run_id: str | None) -> None:
    from autolog import tracking

    if run_id is None and tracking.active_run() is None:
        with tracking.start_run(run_name=f"evaluate-{name}") as run:
            _write(run.info.run_id, metrics, plots, name)
        return
    _write(run_id or tracking.active_run().info.run_id, metrics, plots, name)


def _write(run_id: str, metrics: dict, plots: dict | None, name: str) -> None:
    from autolog.integrations.sklearn._evaluation import artifact_file, to_json

    from autolog import tracking
    from autolog.engine import finite_metrics

    client = tracking.Client()
    now = time.time_ns() // 1_000_000
    batch = [tracking.Metric(key, value, now, 0) for key, value in finite_metrics(metrics).items()]
    client.log_batch(run_id, metrics=batch)
    if plots is not None:
        client.log_text(run_id, to_json(plots), artifact_file(name))
