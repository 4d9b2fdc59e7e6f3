"""Hyperparameter searches: best params and score, the ``cv_results`` table, child runs."""

from __future__ import annotations

import csv
import io
import numbers
import sys
from typing import Any

from autolog.engine import RunHandle, RunSpec, finite_metrics, stable_params, stable_repr, storable_keys

CV_RESULTS_ARTIFACT = "cv_results.csv"
# MLflow's child metrics: every numeric column but the ``param_*`` and ``split*`` ones.
_NOT_CHILD_METRICS = ("param", "split")


def is_search(estimator: Any) -> bool:
    """Whether ``estimator`` is a scikit-learn hyperparameter search (BaseSearchCV subclass)."""
    module = sys.modules.get("sklearn.model_selection._search")
    return module is not None and isinstance(estimator, module.BaseSearchCV)


def search_params(search: Any) -> dict[str, str]:
    """MLflow's parent params: the search's own ``get_params(deep=False)`` (the estimator and
    the grid as stable text), ``best_*`` added after the fit."""
    return stable_params(search, deep=False)


def best_params(search: Any) -> dict[str, str]:
    """``best_<param>`` params of a fitted search (empty when it has no ``best_params_``)."""
    chosen = getattr(search, "best_params_", None) or {}
    return storable_keys(
        {f"best_{key}": stable_repr(value) for key, value in sorted(chosen.items())}, "param"
    )


def best_score_metrics(search: Any) -> dict[str, float]:
    """``best_cv_score``: the mean cross-validated score of the best candidate."""
    score = getattr(search, "best_score_", None)
    return finite_metrics({"best_cv_score": score}) if score is not None else {}


def cv_results_csv(cv_results: dict) -> str:
    """``cv_results_`` as CSV text (no pandas needed); param values stringified stably."""
    columns = list(cv_results)
    rows = len(cv_results[columns[0]]) if columns else 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in range(rows):
        writer.writerow([_cell(cv_results[column][row]) for column in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None or value is getattr(sys.modules.get("numpy.ma"), "masked", object()):
        return ""
    return stable_repr(value)


def log_child_runs(
    run: RunHandle, search: Any, max_tuning_runs: int | None, context_tags: dict | None = None
) -> list[str]:
    """One finished child run per top-ranked candidate (all when ``max_tuning_runs`` is None).

    Each child carries the seed estimator's tags and the parent's context tags (source, user,
    git), like MLflow's.
    """
    context_tags = context_tags or {}
    results = getattr(search, "cv_results_", None)
    if not results or max_tuning_runs == 0:
        return []
    ranks = results.get(_rank_key(search, results))
    order = sorted(range(len(results["params"])), key=lambda i: (ranks[i] if ranks is not None else 0, i))
    if max_tuning_runs is not None:
        order = order[:max_tuning_runs]
    seed = search.estimator
    base_params = stable_params(seed, deep=not is_search(seed))  # MLflow: a nested search's own params
    base_tags = {**context_tags, **estimator_tags(seed)}
    children = [_child(results, index, base_params, base_tags, ranks) for index in order]
    return run.create_child_runs(children)


def estimator_tags(estimator: Any) -> dict[str, str]:
    """MLflow's ``estimator_name`` / ``estimator_class`` tags."""
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}


def _rank_key(search: Any, results: dict) -> str:
    refit = getattr(search, "refit", True)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    if "rank_test_score" in results:
        return "rank_test_score"
    return next((key for key in results if key.startswith("rank_test_")), "rank_test_score")


def _child(results: dict, index: int, base_params: dict, base_tags: dict, ranks) -> tuple[RunSpec, dict]:
    params = dict(base_params)
    params.update({key: stable_repr(value) for key, value in results["params"][index].items()})
    metrics = {key: _number(results[key][index]) for key in results if not key.startswith(_NOT_CHILD_METRICS)}
    metrics = storable_keys({key: value for key, value in metrics.items() if value is not None}, "metric")
    rank = int(ranks[index]) if ranks is not None else None
    base_name = base_tags["estimator_name"]
    tags = {**base_tags, "autolog.search.candidate_index": str(index)}
    if rank is not None:
        tags["autolog.search.rank"] = str(rank)
    name = f"{base_name}-rank-{rank}" if rank is not None else f"{base_name}-candidate-{index}"
    return RunSpec(name=name, params=params, tags=tags), finite_metrics(metrics)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):  # a complex number
        return None
