"""One run per cross-validation call: ``cross_validate``, ``cross_val_score`` and friends.

Each of :data:`CV_FUNCTIONS` in ``sklearn.model_selection`` is replaced (public attribute and
``sklearn.model_selection._validation``, where scikit-learn calls them internally) by a plain
function that goes through the engine's ``run_training_call``: only the outermost call makes a
run (``cross_val_score`` calling ``cross_validate`` makes one), and the fold fits inside it are
training calls that record nothing. The wrappers are plain functions so they pickle by reference.

Metrics (``{score}`` is the scoring name: the ``scoring`` string, a multi-metric key, else
``score``):

- ``cross_validate`` / ``cross_val_score``: ``cv_test_{score}`` (and ``cv_train_{score}``,
  ``cv_fit_time``, ``cv_score_time`` when returned) as history with step = fold, plus
  ``..._mean`` and ``..._std`` (numpy's, population std).
- ``learning_curve``: ``cv_train_{score}_mean``/``_std`` and ``cv_test_{score}_mean``/``_std``
  (and ``cv_fit_time_mean``/``cv_score_time_mean`` with ``return_times``) with step = the
  absolute train size.
- ``validation_curve``: the same with step = index in ``param_range`` (tags name the param and
  the range).
- ``permutation_test_score``: ``cv_test_{score}``, ``permutation_{score}`` history (step =
  permutation) with ``_mean`` and ``_std``, and ``pvalue``.
- ``cross_val_predict``: params and tags only (it returns predictions, not scores).
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from autolog.engine import RunSpec, TrainingRecorder, run_training_call

CV_FUNCTIONS = (
    "cross_validate",
    "cross_val_score",
    "cross_val_predict",
    "learning_curve",
    "validation_curve",
    "permutation_test_score",
)
PREFIX = "cv_"
_INVALID_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-./ :]")


# -- patching -------------------------------------------------------------------------------


def patch(patcher: Any) -> None:
    """Replace the CV functions in ``sklearn.model_selection`` and its ``_validation`` module.

    Parameters
    ----------
    patcher : autolog.engine.Patcher
        Records every replacement so ``restore()`` puts the original objects back.
    """
    import sklearn.model_selection as public
    from autolog.integrations.sklearn._post_training import _replace_attribute
    from sklearn.model_selection import _validation

    for name in CV_FUNCTIONS:
        original = getattr(_validation, name, None)
        if original is None:
            continue
        wrapper = _cv_wrapper(name, original)
        for module in (public, _validation):
            if getattr(module, name, None) is original:
                _replace_attribute(patcher, module, name, wrapper)


def _cv_wrapper(function_name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def cv_wrapper(*args, **kwargs):
        return run_training_call(
            original,
            args,
            kwargs,
            lambda: CrossValidationRecorder(
                function_name, signature, args, kwargs, getattr(original, "_skl_parameter_constraints", None)
            ),
        )

    return cv_wrapper


# -- recording ------------------------------------------------------------------------------


class CrossValidationRecorder(TrainingRecorder):
    """Records one call of a CV function: the estimator's params, then its scores as metrics.

    Parameters
    ----------
    function_name : str
        One of :data:`CV_FUNCTIONS`.
    signature : inspect.Signature
        The function's signature, to read the user's arguments by name.
    args, kwargs :
        The user's arguments (only read).
    constraints : dict or None
        scikit-learn's ``validate_params`` constraints of the function, checked before a run starts.
    """

    kind = "sklearn: cross-validation"

    def __init__(
        self,
        function_name: str,
        signature: inspect.Signature,
        args: tuple,
        kwargs: dict,
        constraints: dict | None = None,
    ):
        self.function_name = function_name
        self.signature = signature
        self.args = args
        self.kwargs = kwargs
        self.constraints = constraints

    def _arguments(self) -> dict[str, Any] | None:
        try:
            bound = self.signature.bind(*self.args, **self.kwargs)
        except TypeError:
            return None  # the user's call is invalid: scikit-learn raises its own error
        bound.apply_defaults()
        variadic = {
            p.name for p in self.signature.parameters.values() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        checked = {name: value for name, value in bound.arguments.items() if name not in variadic}
        if not _valid_parameters(self.constraints, checked, self.function_name):
            return None
        return bound.arguments

    def run_spec(self) -> RunSpec | None:
        """The fit integration's run spec for the estimator and data, plus the call's own tags.

        None (no run) when the arguments do not bind: scikit-learn then raises its own error.
        """
        self.arguments = self._arguments()
        if self.arguments is None:
            return None
        estimator = self.arguments["estimator"]
        spec = fit_run_spec(estimator, self.function_name, self.arguments.get("X"), self.arguments.get("y"))
        spec.name = f"{type(estimator).__name__}-{self.function_name}"
        spec.tags.update(self._tags())
        return spec

    def _tags(self) -> dict[str, str]:
        tags = {
            "autolog.sklearn.function": self.function_name,
            "autolog.cv.cv": repr(self.arguments.get("cv")),
            "autolog.cv.scoring": repr(self.arguments.get("scoring")),
        }
        if self.function_name == "validation_curve":
            tags["autolog.cv.param_name"] = str(self.arguments["param_name"])
            tags["autolog.cv.param_range"] = repr(list(self.arguments["param_range"]))
        if self.function_name == "cross_val_predict":
            tags["autolog.cv.method"] = str(self.arguments.get("method"))
        return tags

    def log_results(self, run: Any, result: Any) -> None:
        """Log the call's scores in one batch."""
        metrics = list(METRIC_BUILDERS[self.function_name](result, self.arguments))
        if metrics:
            _log_batch(run, metrics)


def _valid_parameters(constraints: dict | None, arguments: dict, function_name: str) -> bool:
    """scikit-learn's own ``validate_params`` check of the call, as its wrapper makes it.

    False (no run) where scikit-learn will raise ``InvalidParameterError``: the user gets that
    error unchanged, before autolog reads an argument of a type the function refuses.
    """
    if constraints is None:
        return True
    try:
        import sklearn
        from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints
    except ImportError:  # another scikit-learn layout: the call itself validates
        return True
    if sklearn.get_config().get("skip_parameter_validation", False):
        return True
    params = {name: value for name, value in arguments.items() if name not in ("self", "cls")}
    try:
        validate_parameter_constraints(constraints, params, caller_name=function_name)
    except InvalidParameterError:
        return False
    return True


def fit_run_spec(estimator: Any, function_name: str, X: Any, y: Any) -> RunSpec:
    """What a fit of ``estimator`` on ``X, y`` would start its run with (params, tags, context)."""
    from autolog.integrations.sklearn._run_recorder import SklearnFitRecorder

    return SklearnFitRecorder(estimator, function_name, X, y, None).run_spec()


def _log_batch(run: Any, metrics: list[tuple[str, float, int]]) -> None:
    from autolog.tracking import Metric

    timestamp = time.time_ns() // 1_000_000
    batch = [Metric(key, float(value), timestamp, int(step)) for key, value, step in metrics]
    run.client.log_batch(run.run_id, metrics=batch)


# -- metrics per function -------------------------------------------------------------------

MetricPoints = Iterable[tuple[str, float, int]]


def metric_key(*parts: str) -> str:
    """``cv_`` + the parts joined by ``_``, with characters the store refuses replaced."""
    return _INVALID_KEY_CHARACTERS.sub("_", PREFIX + "_".join(parts))


def scoring_name(scoring: Any) -> str:
    """The name of a single scoring: the string itself, else ``score``."""
    return scoring if isinstance(scoring, str) else "score"


def _history_with_summary(key: str, values: Any) -> MetricPoints:
    import numpy as np

    values = np.asarray(values, dtype=float)
    for step, value in enumerate(values):
        yield key, value, step
    yield f"{key}_mean", np.mean(values), 0
    yield f"{key}_std", np.std(values), 0


def _cross_validate_metrics(result: dict, arguments: dict) -> MetricPoints:
    single_name = scoring_name(arguments.get("scoring"))
    for key, values in result.items():
        if key in ("fit_time", "score_time"):
            yield from _history_with_summary(metric_key(key), values)
            continue
        subset, _, name = key.partition("_")
        if subset in ("test", "train") and name:
            name = single_name if name == "score" else name
            yield from _history_with_summary(metric_key(subset, name), values)


def _cross_val_score_metrics(result: Any, arguments: dict) -> MetricPoints:
    yield from _history_with_summary(metric_key("test", scoring_name(arguments.get("scoring"))), result)


def _cross_val_predict_metrics(result: Any, arguments: dict) -> MetricPoints:
    return ()


def _curve_metrics(key: str, scores: Any, steps: Iterable[int]) -> MetricPoints:
    import numpy as np

    scores = np.asarray(scores, dtype=float)
    for step, row in zip(steps, scores):
        yield f"{key}_mean", np.mean(row), step
        yield f"{key}_std", np.std(row), step


def _learning_curve_metrics(result: tuple, arguments: dict) -> MetricPoints:
    name = scoring_name(arguments.get("scoring"))
    train_sizes = [int(size) for size in result[0]]
    yield from _curve_metrics(metric_key("train", name), result[1], train_sizes)
    yield from _curve_metrics(metric_key("test", name), result[2], train_sizes)
    if len(result) == 5:
        yield from _curve_metrics(metric_key("fit_time"), result[3], train_sizes)
        yield from _curve_metrics(metric_key("score_time"), result[4], train_sizes)


def _validation_curve_metrics(result: tuple, arguments: dict) -> MetricPoints:
    name = scoring_name(arguments.get("scoring"))
    steps = range(len(result[0]))
    yield from _curve_metrics(metric_key("train", name), result[0], steps)
    yield from _curve_metrics(metric_key("test", name), result[1], steps)


def _permutation_test_score_metrics(result: tuple, arguments: dict) -> MetricPoints:
    score, permutation_scores, pvalue = result
    name = scoring_name(arguments.get("scoring"))
    yield metric_key("test", name), score, 0
    permutation_key = _INVALID_KEY_CHARACTERS.sub("_", f"permutation_{name}")
    yield from _history_with_summary(permutation_key, permutation_scores)
    yield "pvalue", pvalue, 0


METRIC_BUILDERS: dict[str, Callable[[Any, dict], MetricPoints]] = {
    "cross_validate": _cross_validate_metrics,
    "cross_val_score": _cross_val_score_metrics,
    "cross_val_predict": _cross_val_predict_metrics,
    "learning_curve": _learning_curve_metrics,
    "validation_curve": _validation_curve_metrics,
    "permutation_test_score": _permutation_test_score_metrics,
}
