"""``autolog.evaluate``: hand a fitted model and held-out data to the integration that knows it."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog.engine._api import installed_integrations

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
    """Log a fitted model's metrics and evaluation plot data on held-out data.

    MLflow's ``evaluate`` for the frameworks whose integration implements it (scikit-learn
    estimators, pipelines and searches, and models with the scikit-learn interface).

    Parameters
    ----------
    model : object
        A fitted model.
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
        ``name`` is not a valid name, ``y`` is None, or no installed integration evaluates
        models of this type.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputError(f"evaluate name must be 1-64 letters, digits, '_' or '-', got {name!r}")
    if y is None:
        raise InvalidInputError("evaluate needs the labels y of the evaluation data")
    for integration in installed_integrations().values():
        if integration.evaluates(model):
            return integration.evaluate(
                model, X, y, name=name, sample_weight=sample_weight, pos_label=pos_label, run_id=run_id
            )
    raise InvalidInputError(
        f"no installed integration evaluates a {type(model).__module__}.{type(model).__qualname__}: "
        "evaluate takes fitted scikit-learn estimators and models with the scikit-learn interface"
    )
