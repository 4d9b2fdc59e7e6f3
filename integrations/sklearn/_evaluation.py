"""Evaluation plot DATA, not images: small JSON the run page and ``autolog runs plot`` draw.

Computed from the predictions the training metrics already made (no second ``predict``):

- classifiers: confusion matrix counts; ROC and precision-recall curves (binary: the greater
  label; more classes: each one-vs-rest), at most ``MAX_CURVE_POINTS`` points each; a
  calibration curve (binary);
- regressors: a fixed-size sample of (actual, predicted) and a histogram of the residuals;
- feature importances or coefficients where the model has them, named by feature;
- searches: each candidate's params and mean test score (parallel coordinates, param vs score).

One artifact per dataset: ``evaluation/<name>.json`` (``training``, or the name given to
``autolog.evaluate``); searches add ``evaluation/search.json``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

ARTIFACT_DIR = "evaluation"
SEARCH_ARTIFACT = f"{ARTIFACT_DIR}/search.json"
FORMAT_VERSION = 1
MAX_CURVE_POINTS = 200
SAMPLE_POINTS = 200
HISTOGRAM_BINS = 30
CALIBRATION_BINS = 10
MAX_FEATURES = 50
MAX_CURVE_CLASSES = 20
MAX_SEARCH_ROWS = 5000


def artifact_file(name: str) -> str:
    """``evaluation/<name>.json``."""
    return f"{ARTIFACT_DIR}/{name}.json"


def evaluation_data(estimator: Any, X: Any, collected: dict) -> dict | None:
    """The plot data of one dataset, from what :func:`training_metrics` collected (None if empty)."""
    data: dict[str, Any] = {}
    kind = collected.get("kind")
    if kind == "classifier":
        data.update(_classifier_plots(collected))
    elif kind == "regressor":
        data.update(_regressor_plots(collected))
    importance = feature_importance(collected.get("final_model", estimator), estimator, X)
    if importance:
        data["feature_importance"] = importance
    if not data:
        return None
    return {"format": FORMAT_VERSION, "kind": kind or "estimator", **data}


def to_json(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


# -- classifiers -----------------------------------------------------------------------------


def _classifier_plots(collected: dict) -> dict:
    labels = collected["labels"]
    confusion = collected["confusion"]
    counts = confusion.astype(int) if collected.get("weights") is None else np.round(confusion, 6)
    plots: dict[str, Any] = {"confusion_matrix": {"labels": _label_texts(labels), "counts": counts.tolist()}}
    proba = collected.get("proba")
    if proba is None:
        return plots
    classes, true_columns = collected["classes"], collected["true_columns"]
    weights = collected.get("weights")
    if weights is not None:
        # Zero-weight samples are no points of the curves (scikit-learn drops them too): kept,
        # a leading group of them gives precision 0/0.
        weighted = weights != 0
        true_columns, proba, weights = true_columns[weighted], proba[weighted], weights[weighted]
    columns = [1] if len(classes) == 2 else list(range(min(len(classes), MAX_CURVE_CLASSES)))
    roc, pr = [], []
    for column in columns:
        curves = _curves(true_columns == column, proba[:, column], weights)
        if curves is not None:
            label = _label_texts(classes[column : column + 1])[0]
            roc.append({"label": label, **curves[0]})
            pr.append({"label": label, **curves[1]})
    if roc:
        plots["roc_curve"], plots["precision_recall_curve"] = roc, pr
    if len(classes) == 2:
        plots["calibration_curve"] = _calibration(true_columns == 1, proba[:, 1], weights)
    return plots


def _label_texts(labels: Any) -> list[str]:
    return [str(label) for label in np.asarray(labels).tolist()]


def _curves(
    is_positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None
) -> tuple[dict, dict] | None:
    """ROC and precision-recall points (scikit-learn's ``roc_curve``/``precision_recall_curve``
    thresholds: one point per distinct score) where the curves bend, down-sampled, with their
    AUC / average precision from every point."""
    order = np.argsort(-score, kind="mergesort")
    sorted_score = score[order]
    positive = is_positive[order]
    last_of_each_score = _before(np.flatnonzero(np.diff(sorted_score)), len(sorted_score) - 1)
    if weights is None:  # counts: the samples up to each threshold, less its positives
        true_positives = np.cumsum(positive, dtype=float)[last_of_each_score]
        false_positives = (last_of_each_score + 1) - true_positives
    else:
        w = weights[order]
        true_positives = np.cumsum(np.where(positive, w, 0.0))[last_of_each_score]
        false_positives = np.cumsum(np.where(positive, 0.0, w))[last_of_each_score]
    if true_positives[-1] <= 0 or false_positives[-1] <= 0:
        return None
    tpr = _after(0.0, true_positives / true_positives[-1])  # the recall, from 0
    fpr = _after(0.0, false_positives / false_positives[-1])
    with np.errstate(divide="ignore", invalid="ignore"):  # negative weights can cancel out
        precision = true_positives / (true_positives + false_positives)
    if not np.all(np.isfinite(precision)):
        return None
    average_precision = float(np.dot(np.diff(tpr), precision))
    # The AUC and average precision above use every point; the drawn curves need only the
    # points where they bend (fewer numbers to round and write, the same picture).
    on_roc = _after(0, 1 + _roc_corners(true_positives, false_positives))
    on_pr = _after(0, 1 + _pr_corners(true_positives))
    roc = {"x": _downsample(fpr[on_roc]), "y": _downsample(tpr[on_roc]), "auc": float(_trapezoid(tpr, fpr))}
    pr = {
        "x": _downsample(tpr[on_pr]),
        "y": _downsample(_after(1.0, precision)[on_pr]),
        "average_precision": average_precision,
    }
    return roc, pr


def _roc_corners(true_positives: np.ndarray, false_positives: np.ndarray) -> np.ndarray:
    """The thresholds scikit-learn's ``roc_curve(drop_intermediate=True)`` keeps: a point in the
    middle of equal steps lies on the segment between its neighbours."""
    if len(true_positives) <= 2:
        return np.arange(len(true_positives))
    bends = np.diff(true_positives, 2) != 0
    bends |= np.diff(false_positives, 2) != 0
    return np.flatnonzero(_after(True, _before(bends, True)))


def _pr_corners(true_positives: np.ndarray) -> np.ndarray:
    """The thresholds where the precision-recall curve can bend: a point between two others of
    the same recall lies on the vertical segment joining them."""
    if len(true_positives) <= 2:
        return np.arange(len(true_positives))
    flat = true_positives[1:] == true_positives[:-1]
    return np.flatnonzero(_after(True, _before(~(flat[:-1] & flat[1:]), True)))


def _before(values: np.ndarray, last: Any) -> np.ndarray:
    """``[*values, last]``."""
    out = np.empty(len(values) + 1, dtype=values.dtype)
    out[:-1] = values
    out[-1] = last
    return out


def _after(first: Any, values: np.ndarray) -> np.ndarray:
    """``[first, *values]`` (``np.r_`` costs ten times more on these short arrays)."""
    out = np.empty(len(values) + 1, dtype=values.dtype)
    out[0] = first
    out[1:] = values
    return out


_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy 2 renamed it


def _downsample(values: np.ndarray, points: int = MAX_CURVE_POINTS) -> list[float]:
    if len(values) > points:
        values = values[np.unique(np.linspace(0, len(values) - 1, points).round().astype(np.intp))]
    return values.round(6).tolist()


def _calibration(is_positive: np.ndarray, probability: np.ndarray, weights: np.ndarray | None) -> dict:
    """``sklearn.calibration.calibration_curve`` (uniform bins), with each bin's count."""
    w = np.ones(len(probability)) if weights is None else weights
    bins = np.clip((probability * CALIBRATION_BINS).astype(np.intp), 0, CALIBRATION_BINS - 1)
    totals = np.bincount(bins, weights=w, minlength=CALIBRATION_BINS)
    predicted = np.bincount(bins, weights=w * probability, minlength=CALIBRATION_BINS)
    observed = np.bincount(bins, weights=w * is_positive, minlength=CALIBRATION_BINS)
    filled = totals > 0
    return {
        "x": np.round(predicted[filled] / totals[filled], 6).tolist(),
        "y": np.round(observed[filled] / totals[filled], 6).tolist(),
        "count": np.round(totals[filled], 6).tolist(),
    }


# -- regressors ------------------------------------------------------------------------------


def _regressor_plots(collected: dict) -> dict:
    y_true, y_pred = collected["y_true"][:, 0], collected["y_pred"][:, 0]  # the first output
    finite = np.isfinite(y_true) & np.isfinite(y_pred)
    y_true, y_pred = y_true[finite], y_pred[finite]
    if not len(y_true):
        return {}
    rows = np.unique(np.linspace(0, len(y_true) - 1, min(SAMPLE_POINTS, len(y_true))).round().astype(np.intp))
    residuals = y_true - y_pred
    counts, edges = np.histogram(residuals, bins=HISTOGRAM_BINS)
    return {
        "predicted_vs_actual": {
            "actual": np.round(y_true[rows], 6).tolist(),
            "predicted": np.round(y_pred[rows], 6).tolist(),
            "rows": len(y_true),
        },
        "residual_histogram": {"edges": np.round(edges, 6).tolist(), "counts": counts.tolist()},
    }


# -- feature importance ------------------------------------------------------------------------


def feature_importance(model: Any, estimator: Any, X: Any) -> dict | None:
    """``{"kind", "features", "values"}`` (top ``MAX_FEATURES`` by magnitude) or None."""
    model = getattr(model, "best_estimator_", model)
    kind, values = _importance_values(model)
    if values is None:
        return None
    names = _feature_names(model, estimator, X, len(values))
    top = np.argsort(-np.abs(values), kind="mergesort")[:MAX_FEATURES]
    return {"kind": kind, "features": [names[i] for i in top], "values": np.round(values[top], 6).tolist()}


def _importance_values(model: Any) -> tuple[str, np.ndarray | None]:
    for attribute, kind in (("feature_importances_", "importance"), ("coef_", "coefficient")):
        try:
            raw = _forest_importances(model) if attribute == "feature_importances_" else None
            raw = getattr(model, attribute, None) if raw is None else raw
        except Exception:
            raw = None
        if raw is None or not hasattr(raw, "shape") or hasattr(raw, "tocsr"):
            continue
        values = np.asarray(raw, dtype=float)
        if values.ndim == 2 and values.shape[0] == 1:
            values = values[0]
        elif values.ndim == 2:  # one row per class: the mean magnitude per feature
            values, kind = np.abs(values).mean(axis=0), f"mean |{kind}| over classes"
        if values.ndim == 1 and len(values) and np.all(np.isfinite(values)):
            return kind, values
    return "", None


def _forest_importances(model: Any) -> np.ndarray | None:
    """A scikit-learn forest's ``feature_importances_`` without its joblib round trip (which
    costs more than the arithmetic): the same mean of the trees' normalized importances."""
    forest_module = sys.modules.get("sklearn.ensemble._forest")
    if forest_module is None or not isinstance(model, forest_module.BaseForest):
        return None
    if type(model).feature_importances_ is not forest_module.BaseForest.feature_importances_:
        return None  # a subclass with its own definition
    trees = [tree for tree in getattr(model, "estimators_", ()) if tree.tree_.node_count > 1]
    if not trees:
        return None
    importances = np.mean(
        [tree.tree_.compute_feature_importances() for tree in trees], axis=0, dtype=np.float64
    )
    total = importances.sum()
    return importances / total if total else None


def _feature_names(model: Any, estimator: Any, X: Any, count: int) -> list[str]:
    for source in (model, estimator):
        names = getattr(source, "feature_names_in_", None)
        if names is not None and len(names) == count and source is model:
            return [str(name) for name in names]
    columns = getattr(X, "columns", None)
    # Named input only: from an array the Pipeline's names are x0, x1, ... anyway.
    names = _pipeline_output_names(estimator, model) if columns is not None else None
    if names is not None and len(names) == count:
        return names
    if columns is not None and len(columns) == count:
        return [str(column) for column in columns]
    return [f"x{i}" for i in range(count)]


def _pipeline_output_names(estimator: Any, final: Any) -> list[str] | None:
    pipeline_module = sys.modules.get("sklearn.pipeline")
    if pipeline_module is None or not isinstance(estimator, pipeline_module.Pipeline) or final is estimator:
        return None
    try:
        return [str(name) for name in estimator[:-1].get_feature_names_out()]
    except Exception:
        return None


# -- searches --------------------------------------------------------------------------------


def search_data(search: Any) -> dict | None:
    """Each candidate's params and mean test score, for parallel coordinates and param vs score."""
    results = getattr(search, "cv_results_", None)
    if not results or "params" not in results:
        return None
    score_key = _score_key(search, results)
    if score_key is None:
        return None
    rows = min(len(results["params"]), MAX_SEARCH_ROWS)
    params = {}
    for key in results:
        if key.startswith("param_"):
            params[key[len("param_") :]] = _column(results[key][:rows])
    scores = np.asarray(results[score_key][:rows], dtype=float)
    return {
        "format": FORMAT_VERSION,
        "kind": "search",
        "score": score_key,
        "params": params,
        "scores": [None if not np.isfinite(v) else round(float(v), 6) for v in scores],
        "rank": [
            int(v) for v in results.get(score_key.replace("mean_test_", "rank_test_"), [0] * rows)[:rows]
        ],
    }


def _score_key(search: Any, results: dict) -> str | None:
    refit = getattr(search, "refit", True)
    for key in (f"mean_test_{refit}" if isinstance(refit, str) else "", "mean_test_score"):
        if key in results:
            return key
    return next((key for key in results if key.startswith("mean_test_")), None)


def _column(values: Any) -> dict:
    """``{"type": "number", "values": [...]}`` or ``{"type": "category", "values": [text...]}``."""
    from autolog.engine import stable_repr

    masked = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else np.zeros(len(values), dtype=bool)
    raw = values.tolist() if hasattr(values, "tolist") else list(values)
    present = [value for value, missing in zip(raw, masked) if not missing]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        numbers = [None if missing or not np.isfinite(v) else float(v) for v, missing in zip(raw, masked)]
        return {"type": "number", "values": numbers}
    return {
        "type": "category",
        "values": [None if missing else stable_repr(v) for v, missing in zip(raw, masked)],
    }
