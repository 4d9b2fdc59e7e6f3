"""Training metrics by estimator type, each family from ONE pass over the predictions.

Classification metrics come from one weighted confusion matrix, regression metrics from one
array of residuals; the values equal ``sklearn.metrics`` on the same data (the tests check it).
Undefined metrics (e.g. ROC AUC with a single class) are left out rather than logged as NaN.

The names are MLflow's and so are the meanings: precision/recall/F1 are support-weighted
averages unless the ``pos_label`` option is set (then binary on that label); ROC AUC is binary
on the greater label, or one-vs-one weighted for more classes. Without ``y`` nothing is logged.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Hashable
from typing import Any

import numpy as np

PREFIX = "training_"


def training_metrics(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    pos_label: Hashable | None = None,
    *,
    prefix: str = PREFIX,
    collected: dict | None = None,
) -> dict[str, float]:
    """Compute ``training_*`` metrics of a fitted ``estimator`` on its training data.

    ``collected``, when given, receives what the evaluation plots are drawn from (true and
    predicted values, probabilities, the confusion matrix), so they cost no second prediction.
    """
    from sklearn.base import is_classifier, is_regressor

    if y is None:
        return {}  # MLflow: training metrics need the training labels
    collected = {} if collected is None else collected
    weights = _sample_weights(sample_weight, y)
    if weights is _UNUSABLE:
        return {}  # weights fit accepted but no metric can use (scikit-learn's own checks decide)
    # A Pipeline transforms X once here, not once per predict / predict_proba / score call.
    try:
        model, Xt, via_pipeline = _final_model(estimator, X)
    except EstimatorCallFailed:
        return {}  # a step cannot transform the data it was fitted on
    collected["final_model"] = model
    metrics: dict[str, float] = {}
    try:
        if is_classifier(estimator) and _has(model, "predict"):
            metrics.update(_classifier_metrics(model, Xt, np.asarray(y), weights, pos_label, collected))
        elif is_regressor(estimator) and _has(model, "predict"):
            metrics.update(_regressor_metrics(model, Xt, np.asarray(y), weights, collected))
    except EstimatorCallFailed:
        collected.clear()  # the estimator cannot predict on its training data: no such metrics
    if (
        "score" not in metrics
        and _has(estimator, "score")
        and _may_score(sample_weight)
        and not _scores_with_user_callable(estimator)
    ):
        try:
            if via_pipeline and _has(model, "score"):
                score = _pipeline_final_score(model, Xt, y, sample_weight)
            else:
                score = _score(estimator, X, y, sample_weight)
        except EstimatorCallFailed:
            score = None  # MLflow: "training_score will not be recorded"
        if score is not None:
            metrics["score"] = score
    return {prefix + name: value for name, value in metrics.items() if not np.isnan(value)}


class EstimatorCallFailed(Exception):
    """The user's estimator raised in ``predict``/``predict_proba``/``transform``/``score`` on its
    own training data (unfitted, refit=False, routing rules, targets it cannot score): the
    metrics that need that call are left out, as MLflow leaves them out. Not an autolog error."""


def _estimator_call(method: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except Exception as error:
        raise EstimatorCallFailed(f"{type(error).__name__}: {error}") from error


def _sample_weights(sample_weight: Any, y: Any) -> Any:
    """``sample_weight`` as one float per sample, None, or ``_UNUSABLE``.

    A scalar weights every sample alike, as ``fit`` takes it (scikit-learn's
    ``_check_sample_weight``); weights of another shape than the samples cannot weight a metric.
    """
    if sample_weight is None:
        return None
    try:
        weights = np.asarray(sample_weight, dtype=float)
        n_samples = len(y)
    except (TypeError, ValueError):
        return _UNUSABLE
    if weights.ndim == 0:
        return np.full(n_samples, float(weights))
    return weights if weights.shape == (n_samples,) else _UNUSABLE


def _scores_with_user_callable(estimator: Any) -> bool:
    """Whether ``estimator.score`` would call a scorer the user wrote (its ``scoring`` param):
    the user's own object sees every call (a counting mock, a logging scorer), so autolog does
    not add one. scikit-learn's scorers (``make_scorer``, ``get_scorer``) are called as usual;
    a scorer class of a test module (scikit-learn's own tests included) is the user's."""
    try:
        scoring = estimator.get_params(deep=False).get("scoring")
    except Exception:
        return False
    if scoring is None or isinstance(scoring, (str, list, tuple, set, dict)):
        return False
    module = type(scoring).__module__
    return callable(scoring) and (not module.startswith("sklearn.") or _test_module(module))


# What training metrics call on the fitted estimator itself.
_CALLED_METHODS = ("predict", "predict_proba", "score")


def user_code_sees_calls(estimator: Any) -> bool:
    """Whether code that counts calls would see the training metrics' calls on ``estimator``.

    True when a method is replaced on the instance (a ``Mock``, a spy: scikit-learn's
    ``predict`` calls ``self._raw_predict``), or when ``predict``/``predict_proba``/``score``
    comes from a class defined in a test module (a test double counting its calls, as in
    scikit-learn's own tests): such a fit logs no training metrics. Estimators of libraries and
    of the user's own modules get their training metrics as under MLflow.
    """
    cls = type(estimator)
    try:
        own = vars(estimator)
    except TypeError:  # __slots__
        own = {}
    for name, value in own.items():
        if callable(value) and _is_method(inspect.getattr_static(cls, name, None)):
            return True
    for name in _CALLED_METHODS:
        owner = next((klass for klass in cls.__mro__ if name in vars(klass)), None)
        if owner is not None and _test_module(owner.__module__):
            return True
    return False


def _test_module(name: str) -> bool:
    """A module of a test suite: ``tests``/``test`` packages, ``test_*`` and ``conftest`` modules."""
    return any(part in ("tests", "test", "conftest") or part.startswith("test_") for part in name.split("."))


def _is_method(attribute: Any) -> bool:
    """A function defined on the class, also under ``available_if`` (its ``fn``)."""
    return inspect.isfunction(attribute) or inspect.isfunction(getattr(attribute, "fn", None))


def _may_score(sample_weight: Any) -> bool:
    """With metadata routing on, ``score(..., sample_weight=)`` raises unless the user requested
    it; MLflow's weighted ``training_score`` is then left out rather than computed unweighted."""
    if sample_weight is None:
        return True
    import sklearn

    return not sklearn.get_config().get("enable_metadata_routing", False)


def _final_model(estimator: Any, X: Any) -> tuple[Any, Any, bool]:
    """``(final step, X transformed by the steps before it, True)`` for a plain Pipeline.

    Exactly what ``Pipeline.predict`` / ``predict_proba`` / ``score`` do without metadata
    routing: ``transform`` of every non-passthrough step but the last, then the final step's
    method. Anything else (routing enabled, a subclass overriding those methods, a passthrough
    final step) is returned unchanged: ``(estimator, X, False)``.
    """
    pipeline_class = _loaded_class("sklearn.pipeline", "Pipeline")
    if pipeline_class is None or not isinstance(estimator, pipeline_class):
        return estimator, X, False
    if not _inherits_unchanged(
        type(estimator), pipeline_class, ("predict", "predict_proba", "score", "_iter")
    ):
        return estimator, X, False
    import sklearn

    if sklearn.get_config().get("enable_metadata_routing", False):
        return estimator, X, False
    steps = getattr(estimator, "steps", None)
    if not steps:
        return estimator, X, False
    final = steps[-1][1]
    if final is None or (isinstance(final, str) and final == "passthrough"):
        return estimator, X, False
    Xt = X
    for _, _, transform in estimator._iter(with_final=False):
        Xt = _estimator_call(transform.transform, Xt)
    model, Xt, _ = _final_model(final, Xt)  # a Pipeline ending in a Pipeline
    return model, Xt, True


def _pipeline_final_score(final: Any, Xt: Any, y: Any, sample_weight: Any) -> float | None:
    """``Pipeline.score`` without routing: the final step's score, sample_weight only if given."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    value = _estimator_call(final.score, Xt, y, **kwargs)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _has(estimator: Any, method: str) -> bool:
    try:
        return callable(getattr(estimator, method, None))
    except Exception:  # available_if raising something other than AttributeError
        return False


# -- classification ---------------------------------------------------------------------------


def _classifier_metrics(estimator, X, y_true, weights, pos_label, collected) -> dict[str, float]:
    if y_true.ndim != 1 and not (y_true.ndim == 2 and y_true.shape[1] == 1):
        if pos_label is not None:
            _warn_pos_label("the target is multilabel/multioutput")
        return {}  # multilabel / multioutput: only ``score``
    y_true = y_true.ravel()
    y_pred, proba = _predict(estimator, X)
    y_pred = np.asarray(y_pred).ravel()
    labels, encoded = _encode(np.concatenate([y_true, y_pred]))
    true_idx, pred_idx = encoded[: len(y_true)], encoded[len(y_true) :]
    confusion = _confusion_matrix(true_idx, pred_idx, len(labels), weights)
    collected.update(kind="classifier", labels=labels, confusion=confusion, weights=weights)
    metrics = {"accuracy_score": np.trace(confusion) / confusion.sum()}
    if _uses_default_score(estimator, "ClassifierMixin"):
        metrics["score"] = metrics["accuracy_score"]
    if len(np.unique(true_idx)) < 2:
        return metrics  # precision/recall/F1/ROC AUC are undefined for a single class
    positive = _positive_label(labels, pos_label)
    if positive is not _UNUSABLE:
        metrics.update(_precision_recall_f1(confusion, labels, positive))
    if proba is not None or _has(estimator, "predict_proba"):
        metrics.update(_probability_metrics(estimator, X, y_true, weights, proba, collected))
    return metrics


def _encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``; labels of mixed types in first-seen order."""
    try:
        return np.unique(values, return_inverse=True)
    except TypeError:  # e.g. ints and strings in one object array: not orderable
        index: dict = {}
        encoded = np.fromiter(
            (index.setdefault(v, len(index)) for v in values.tolist()), dtype=np.intp, count=len(values)
        )
        labels = np.empty(len(index), dtype=object)
        labels[:] = list(index)
        return labels, encoded


# Classes whose ``predict(X)`` is, line by line in scikit-learn's source, ``classes_`` indexed by
# ``argmax(predict_proba(X), axis=1)`` (same probabilities, same first-maximum tie-breaking, same
# ``classes_`` array): (module, class, condition on the fitted estimator). A subclass qualifies
# only when it overrides neither method (compared under any ``__wrapped__`` patch).
_ARGMAX_OF_PROBA = (
    # ForestClassifier.predict: proba = self.predict_proba(X);
    #   return self.classes_.take(np.argmax(proba, axis=1), axis=0)   (n_outputs_ == 1)
    ("sklearn.ensemble._forest", "ForestClassifier", lambda e: getattr(e, "n_outputs_", None) == 1),
    # BaseDecisionTree.predict: proba = self.tree_.predict(X);
    #   return self.classes_.take(np.argmax(proba, axis=1), axis=0)   (classifier, n_outputs_ == 1)
    # DecisionTreeClassifier.predict_proba: proba = self.tree_.predict(X); return proba[:, :self.n_classes_]
    #   (single output: tree_.predict's width is max_n_classes == n_classes_, so the slice is all of it)
    ("sklearn.tree._classes", "DecisionTreeClassifier", lambda e: getattr(e, "n_outputs_", None) == 1),
    # BaggingClassifier.predict: predicted_probabilitiy = self.predict_proba(X, **params);
    #   return self.classes_.take((np.argmax(predicted_probabilitiy, axis=1)), axis=0)
    ("sklearn.ensemble._bagging", "BaggingClassifier", lambda e: True),
    # VotingClassifier.predict (voting="soft"): maj = np.argmax(self.predict_proba(X), axis=1);
    #   maj = self.le_.inverse_transform(maj)  == take(self.le_.classes_, maj); classes_ is le_.classes_
    (
        "sklearn.ensemble._voting",
        "VotingClassifier",
        lambda e: (
            getattr(e, "voting", None) == "soft"
            and getattr(e, "classes_", None) is getattr(getattr(e, "le_", None), "classes_", 0)
        ),
    ),
    # CalibratedClassifierCV.predict: class_indices = xp.argmax(self.predict_proba(X), axis=1);
    #   return self.classes_[class_indices]
    ("sklearn.calibration", "CalibratedClassifierCV", lambda e: True),
)


def _predict_is_argmax_of_proba(estimator: Any) -> bool:
    for module_name, class_name, condition in _ARGMAX_OF_PROBA:
        base = _loaded_class(module_name, class_name)
        if base is None or not issubclass(type(estimator), base):
            continue
        try:
            return _inherits_unchanged(type(estimator), base, ("predict", "predict_proba")) and bool(
                condition(estimator)
            )
        except Exception:
            return False
    return False


def _loaded_class(module_name: str, class_name: str) -> type | None:
    """``module_name.class_name`` if that module is imported (never imports it)."""
    module = sys.modules.get(module_name)
    return getattr(module, class_name, None) if module is not None else None


def _inherits_unchanged(cls: type, base: type, methods: tuple[str, ...]) -> bool:
    """Whether ``cls`` overrides none of ``methods`` of ``base`` (under any ``__wrapped__`` patch)."""
    return all(
        _unwrapped(getattr(cls, name, None)) is _unwrapped(getattr(base, name, None)) for name in methods
    )


# Classes whose ``predict(X)`` is ``classes_`` indexed by the argmax of ``decision_function(X)``
# (scikit-learn's ``LinearClassifierMixin.predict``; ``scores > 0`` for two classes) and whose
# ``predict_proba`` is, row by row, a non-decreasing function of those scores (softmax, or the
# logistic function normalized over the classes): where a row's greatest probability is strictly
# greatest, its score is too, so the argmax of the probabilities is ``predict``. Rows with a
# shared (or non-finite) greatest probability are left to ``predict``. Compared as above.
_ARGMAX_OF_SCORES = (("sklearn.linear_model._logistic", "LogisticRegression"),)


def _predict_is_argmax_of_scores(estimator: Any) -> bool:
    for module_name, class_name in _ARGMAX_OF_SCORES:
        base = _loaded_class(module_name, class_name)
        if base is not None and issubclass(type(estimator), base):
            return _inherits_unchanged(
                type(estimator), base, ("predict", "predict_proba", "decision_function")
            )
    return False


def _predict(estimator: Any, X: Any) -> tuple[Any, np.ndarray | None]:
    """``(estimator.predict(X), predict_proba(X) or None)``: ONE pass when predict is its argmax."""
    exact = _predict_is_argmax_of_proba(estimator)
    if (exact or _predict_is_argmax_of_scores(estimator)) and _has(estimator, "predict_proba"):
        proba = _estimator_call(estimator.predict_proba, X)
        classes = getattr(estimator, "classes_", None)
        if (
            type(proba) is np.ndarray
            and proba.ndim == 2
            and isinstance(classes, np.ndarray)
            and classes.ndim == 1
            and proba.shape[1] == len(classes)
        ):
            top = np.argmax(proba, axis=1)
            predicted = classes.take(top, axis=0)
            if not exact:
                _predict_shared_maxima(estimator, X, proba, top, predicted)
            return predicted, proba
    return _estimator_call(estimator.predict, X), None


def _predict_shared_maxima(
    estimator: Any, X: Any, proba: np.ndarray, top: np.ndarray, predicted: Any
) -> None:
    """``predict`` for the rows whose greatest probability is not strictly greatest (in place)."""
    best = proba[np.arange(len(proba)), top]
    unsure = np.flatnonzero((proba >= best[:, None]).sum(axis=1) != 1)
    if len(unsure):
        from sklearn.utils import _safe_indexing

        predicted[unsure] = _estimator_call(estimator.predict, _safe_indexing(X, unsure))


def _confusion_matrix(true_idx, pred_idx, n_labels: int, weights) -> np.ndarray:
    flat = np.bincount(true_idx * n_labels + pred_idx, weights=weights, minlength=n_labels * n_labels)
    return flat.reshape(n_labels, n_labels).astype(float)


def _positive_label(labels: np.ndarray, pos_label: Hashable | None) -> Any:
    """The positive class for binary averaging; None for weighted averaging (MLflow's default).

    Like MLflow: ``average="binary"`` only when ``pos_label`` is given. A ``pos_label`` that the
    target cannot use (multiclass, or a label not present) is reported once and returns
    ``_UNUSABLE`` (precision/recall/F1 are then left out, as MLflow's calls fail there).
    """
    if pos_label is None:
        return None
    matches = [label for label in labels.tolist() if label == pos_label]
    if len(labels) == 2 and matches:
        return matches[0]
    reason = "the target is multiclass" if len(labels) > 2 else f"{pos_label!r} is not one of its labels"
    _warn_pos_label(reason)
    return _UNUSABLE


_UNUSABLE = object()


def _warn_pos_label(reason: str) -> None:
    from autolog.engine import warn_once

    warn_once(
        f"sklearn: pos_label unusable ({reason.split()[0]})",
        f"autolog: the pos_label option applies to binary targets only and {reason}; "
        "the training precision/recall/F1 are not logged for this fit.",
    )


def _precision_recall_f1(confusion: np.ndarray, labels: np.ndarray, positive) -> dict[str, float]:
    tp = np.diag(confusion)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    # Rows: precision, recall, F1 per label, in one division.
    ratios = _safe_divide(np.stack([tp, tp, 2 * tp]), np.stack([predicted, actual, predicted + actual]))
    if positive is not None:
        values = ratios[:, labels.tolist().index(positive)]
    else:
        total = actual.sum()
        values = ratios @ actual / total if total else np.zeros(3)
    return dict(zip(("precision_score", "recall_score", "f1_score"), values.tolist()))


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (sklearn's zero_division)."""
    result = np.zeros_like(numerator, dtype=float)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def _probability_metrics(estimator, X, y_true, weights, proba, collected) -> dict[str, float]:
    classes = np.asarray(getattr(estimator, "classes_", []))
    proba = np.asarray(_estimator_call(estimator.predict_proba, X) if proba is None else proba, dtype=float)
    if classes.ndim != 1 or proba.ndim != 2 or proba.shape[1] != len(classes) or len(classes) < 2:
        return {}
    if not np.all(np.isfinite(proba)):
        # e.g. KNeighborsClassifier with weights=1/distance on its own training points (0/0):
        # scikit-learn's log_loss and roc_auc_score refuse NaN, so no metric and no curve.
        return {}
    true_columns = _column_of_each_label(classes, y_true)
    if true_columns is None:
        return {}  # a training label the estimator does not know: metrics undefined
    eps = np.finfo(proba.dtype).eps
    clipped = np.clip(proba[np.arange(len(y_true)), true_columns], eps, 1 - eps)
    metrics = {"log_loss": float(np.average(-np.log(clipped), weights=weights))}
    collected.update(proba=proba, classes=classes, true_columns=true_columns)
    roc_auc = _roc_auc(proba, true_columns, classes, weights)
    if roc_auc is not None:
        metrics["roc_auc"] = roc_auc
    return metrics


def _column_of_each_label(classes: np.ndarray, y_true: np.ndarray) -> np.ndarray | None:
    """The ``classes`` column of each label, or None if one is unknown (vectorized when sorted)."""
    try:
        if len(classes) and bool(np.all(classes[:-1] < classes[1:])):  # sklearn's classes_ are np.unique'd
            columns = np.searchsorted(classes, y_true)
            found = columns < len(classes)
            if found.all() and bool(np.all(classes[columns] == y_true)):
                return columns.astype(np.intp, copy=False)
            return None
    except TypeError:  # unorderable / mixed labels: look each one up
        pass
    index = {label: i for i, label in enumerate(classes.tolist())}
    try:
        return np.fromiter((index[label] for label in y_true.tolist()), dtype=np.intp, count=len(y_true))
    except KeyError:
        return None


def _roc_auc(proba, true_columns, classes, weights) -> float | None:
    """MLflow's ``training_roc_auc``: ``roc_auc_score(y, proba[:, 1])`` for two classes, else
    ``roc_auc_score(y, proba, multi_class="ovo", average="weighted")``.

    None where that call raises in scikit-learn: a class missing from the target, rows not
    summing to 1, or sample weights with more than two classes (one-vs-one takes none).
    """
    if len(classes) == 2:
        return _binary_auc(true_columns == 1, proba[:, 1], weights)
    if weights is not None or len(np.unique(true_columns)) != len(classes):
        return None
    if not _rows_sum_to_one(proba):
        return None
    return _ovo_weighted_auc(proba, true_columns, len(classes))


def _rows_sum_to_one(proba: np.ndarray) -> bool:
    """``np.allclose(1, proba.sum(axis=1))`` (scikit-learn's check), without its generic set-up."""
    sums = proba.sum(axis=1)
    close = np.abs(sums - 1) <= 1e-8 + 1e-5 * np.abs(sums)
    return bool(np.all(close & np.isfinite(sums)))


def _ovo_weighted_auc(proba: np.ndarray, true_columns: np.ndarray, n_classes: int) -> float:
    """scikit-learn's ``_average_multiclass_ovo_score`` with ``average="weighted"``.

    Each pair's AUC, as the Mann-Whitney statistic: the share of (a, b) sample pairs that
    column ``a`` ranks a-first, ties counting half. Each class's columns are sorted once.
    """
    members = [np.flatnonzero(true_columns == label) for label in range(n_classes)]
    sorted_scores = [np.sort(proba[rows], axis=0) for rows in members]
    scores, prevalence = [], []
    for a in range(n_classes):
        for b in range(a + 1, n_classes):
            a_auc = _ranked_first(proba[members[a], a], sorted_scores[b][:, a])
            b_auc = _ranked_first(proba[members[b], b], sorted_scores[a][:, b])
            scores.append((a_auc + b_auc) / 2)
            prevalence.append(len(members[a]) + len(members[b]))
    return float(np.average(scores, weights=prevalence))


def _ranked_first(positive: np.ndarray, sorted_negative: np.ndarray) -> float:
    """P(a positive's score exceeds a negative's), ties counting half (both non-empty)."""
    below = np.searchsorted(sorted_negative, positive, side="left")
    up_to = np.searchsorted(sorted_negative, positive, side="right")
    return float((below.sum() + up_to.sum()) / (2 * len(positive) * len(sorted_negative)))


def _binary_auc(is_positive: np.ndarray, score: np.ndarray, weights) -> float | None:
    """Area under the ROC curve: the weighted probability that a positive outranks a negative."""
    w = np.ones(len(score)) if weights is None else weights
    positive_total, negative_total = w[is_positive].sum(), w[~is_positive].sum()
    if positive_total == 0 or negative_total == 0:
        return None
    order = np.argsort(score, kind="mergesort")
    sorted_score, sorted_positive, sorted_w = score[order], is_positive[order], w[order]
    # Group ties: each group counts its negatives below it fully and half of those tied with it.
    boundaries = np.flatnonzero(np.diff(sorted_score)) + 1
    starts = np.concatenate([[0], boundaries])
    negatives_in_group = np.add.reduceat(np.where(sorted_positive, 0.0, sorted_w), starts)
    positives_in_group = np.add.reduceat(np.where(sorted_positive, sorted_w, 0.0), starts)
    negatives_below = np.concatenate([[0.0], np.cumsum(negatives_in_group)[:-1]])
    area = np.sum(positives_in_group * (negatives_below + 0.5 * negatives_in_group))
    return float(area / (positive_total * negative_total))


# -- regression -------------------------------------------------------------------------------


def _regressor_metrics(estimator, X, y_true, weights, collected) -> dict[str, float]:
    y_pred = np.asarray(_estimator_call(estimator.predict, X), dtype=float)
    y_true = y_true.astype(float)
    if y_true.ndim == 1:
        y_true = y_true.reshape(-1, 1)
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    if y_true.shape != y_pred.shape or y_true.ndim > 2:
        return {}  # scikit-learn's regression metrics take 1-d or 2-d targets only
    residuals = y_true - y_pred
    collected.update(kind="regressor", y_true=y_true, y_pred=y_pred)
    mse = np.average(residuals**2, axis=0, weights=weights)
    metrics = {
        "mean_squared_error": float(np.mean(mse)),
        "root_mean_squared_error": float(np.mean(np.sqrt(mse))),
        "mean_absolute_error": float(np.mean(np.average(np.abs(residuals), axis=0, weights=weights))),
        "r2_score": _r2(y_true, residuals, weights),
    }
    if _uses_default_score(estimator, "RegressorMixin"):
        metrics["score"] = metrics["r2_score"]
    return metrics


def _r2(y_true, residuals, weights) -> float:
    w = np.ones((len(y_true), 1)) if weights is None else weights.reshape(-1, 1)
    numerator = np.sum(w * residuals**2, axis=0)
    centered = y_true - np.average(y_true, axis=0, weights=w.ravel())
    denominator = np.sum(w * centered**2, axis=0)
    scores = np.ones(y_true.shape[1])
    defined = denominator != 0
    scores[defined] = 1 - numerator[defined] / denominator[defined]
    scores[~defined & (numerator != 0)] = 0.0  # sklearn's force_finite convention
    return float(np.mean(scores))


# -- score ------------------------------------------------------------------------------------


def _uses_default_score(estimator: Any, mixin_name: str) -> bool:
    """Whether ``estimator.score`` is the mixin's (accuracy / R2), so we can reuse our value."""
    import sklearn.base

    mixin_score = vars(getattr(sklearn.base, mixin_name)).get("score")
    own_score = getattr(type(estimator), "score", None)
    return own_score is not None and _unwrapped(own_score) is _unwrapped(mixin_score)


def _unwrapped(function: Any) -> Any:
    """The function under any ``__wrapped__`` chain (our patches and post-training's)."""
    try:
        return inspect.unwrap(function)
    except ValueError:  # a cycle
        return function


def _score(estimator: Any, X: Any, y: Any, sample_weight: Any) -> float | None:
    kwargs = {}
    if sample_weight is not None and "sample_weight" in _parameters(estimator.score):
        kwargs["sample_weight"] = sample_weight
    value = _estimator_call(estimator.score, X, y, **kwargs)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parameters(function: Any) -> tuple[str, ...]:
    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return ()
