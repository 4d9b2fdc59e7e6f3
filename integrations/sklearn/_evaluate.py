"""``autolog.evaluate``: metrics and plot data of a fitted scikit-learn model on held-out data."""

from __future__ import annotations

import re
import time
from collections.abc import Hashable
from typing import Any

from autolog._core._exceptions import InvalidInputError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")


def evaluate(
    model: Any,
    X: Any,
    y: Any,
    *,
    name: str = "holdout",
    sample_weight: Any = None,
    pos_label: Hashable | None = None,
    run_id: str | None = None,
) -> dict[str, float]:
    """Log a fitted model's metrics and evaluation plot data on ``(X, y)`` (MLflow's ``evaluate``
    for scikit-learn models).

    Parameters
    ----------
    model : estimator
        A fitted scikit-learn classifier, regressor, Pipeline or search.
    X, y : array-like
        The evaluation data and its labels.
    name : str, default "holdout"
        Names the metrics (``holdout_accuracy_score`` ...) and the plot artifact
        (``evaluation/holdout.json``). Letters, digits, ``_`` and ``-``.
    sample_weight : array-like, optional
        Weights of the rows, used by every metric and plot.
    pos_label : label, optional
        As the ``pos_label`` option of ``autolog()``: binary precision/recall/F1 on that label.
    run_id : str, optional
        The run to log into. Default: the active run, else a new run (ended before returning).

    Returns
    -------
    dict of str to float
        The logged metrics.

    Raises
    ------
    InvalidInputError
        ``name`` is not a valid name, or ``y`` is None.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputError(f"evaluate name must be 1-64 letters, digits, '_' or '-', got {name!r}")
    if y is None:
        raise InvalidInputError("evaluate needs the labels y of the evaluation data")
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
