"""What one autologged scikit-learn training call records."""

from __future__ import annotations

import pickle
from typing import Any

from autolog.integrations.sklearn import _evaluation, _search
from autolog.integrations.sklearn._coverage import is_covered
from autolog.integrations.sklearn._metrics import training_metrics, user_code_sees_calls

from autolog._core._constants import FAILURE_TAG
from autolog.engine import (
    FitRecorder,
    RunHandle,
    RunSpec,
    attempt,
    bound_arguments,
    finite_metrics,
    stable_params,
)
from autolog.engine._recorder import first_rows


def make_recorder(
    estimator: Any, method: str, bound_method: Any, args: tuple, kwargs: dict
) -> SklearnFitRecorder | None:
    """The recorder for ``estimator.<method>(*args, **kwargs)``, or None if not covered."""
    if estimator is None or not is_covered(type(estimator)):
        return None
    X, y, sample_weight = _training_data(bound_method, args, kwargs)
    recorder = SklearnFitRecorder(estimator, method, X, y, sample_weight)
    recorder.routed_metadata = _routing_enabled() and bool(set(kwargs) - _DATA_ARGUMENTS or len(args) > 2)
    return recorder


_DATA_ARGUMENTS = frozenset({"X", "y", "Y"})


def _routing_enabled() -> bool:
    import sklearn

    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def _training_data(bound_method: Any, args: tuple, kwargs: dict) -> tuple[Any, Any, Any]:
    """``X``, ``y`` and ``sample_weight`` as the user passed them, by name or position."""
    bound = bound_arguments(bound_method, args, kwargs)
    extra = bound.get("kwargs") or bound.get("fit_params") or bound.get("params") or {}
    X = bound.get("X", args[0] if args else None)
    y = bound.get("y", bound.get("Y"))
    sample_weight = bound.get(
        "sample_weight", extra.get("sample_weight") if isinstance(extra, dict) else None
    )
    return X, y, sample_weight


class SklearnFitRecorder(FitRecorder):
    """Records params, tags, dataset fingerprint, training metrics, evaluation data and the model."""

    kind = "sklearn"
    framework = "sklearn"
    # The user's model (or environment) cannot be serialized: their problem, not our bug.
    unsaveable_errors = (pickle.PicklingError, TypeError, AttributeError, ImportError)

    def __init__(self, estimator: Any, method: str, X: Any, y: Any, sample_weight: Any):
        super().__init__(estimator=estimator, X=X, y=y, sample_weight=sample_weight)
        self.method = method
        self.columns_changed = False
        self.routed_metadata = False
        # Taken before the user's call: a step may change X in place during the fit.
        self.columns = _columns(X)
        self.example = None
        if X is not None and self.options.log_models and self.options.log_input_examples:
            self.example = first_rows(X)
            if self.example is not None and hasattr(self.example, "copy"):
                self.example = self.example.copy()

    def framework_version(self) -> str:
        return _sklearn_version()

    def input_example(self) -> Any:
        return self.example

    def serialization_formats(self) -> list[str]:
        chosen = self.options.serialization_format
        if chosen == "pickle" and _cloudpickle_installed():
            return ["pickle", "cloudpickle"]  # MLflow's default: saves lambdas plain pickle cannot
        return [chosen]

    def run_spec(self) -> RunSpec:
        tags = self.common_tags()
        searching = _search.is_search(self.estimator)
        params = _search.search_params(self.estimator) if searching else stable_params(self.estimator)
        return RunSpec(name=type(self.estimator).__name__, params=params, tags=tags)

    def log_results(self, run: RunHandle, result: Any) -> None:
        passed = _as_passed(self.X, self.columns)
        self.columns_changed, self.X = passed is not self.X, passed
        searching = _search.is_search(self.estimator)
        if searching:
            attempt("sklearn: search results", self._log_search, run)
        attempt("sklearn: training metrics", self._log_training_metrics, run)
        if self.options.log_models:
            # MLflow's layout: ``model`` is what was fitted (a search predicts through its best
            # estimator), ``best_estimator`` a second artifact.
            self.log_model(run, self.estimator, signature=self._signature(self.estimator))
            best = getattr(self.estimator, "best_estimator_", None) if searching else None
            if best is not None:
                self.log_model(run, best, "best_estimator", signature=self._signature(best))
        self.log_git_diff(run)

    def on_failure(self, run: RunHandle, error: BaseException) -> None:
        run.set_tags(failure_tags(error))

    def after_run(self, run: RunHandle, result: Any) -> None:
        from autolog.integrations.sklearn._post_training import on_fit_finished

        on_fit_finished(self.estimator, run.run_id)

    def _signature(self, model: Any) -> Any:
        """The columns as passed, not as left by the fit, when a step changed X in place."""
        signature: Any = self.options.log_model_signatures
        if signature and self.columns_changed and self.example is None:
            return _signature_of(model, self.X)
        return None

    def _log_training_metrics(self, run: RunHandle) -> None:
        if self.X is None or self.y is None:
            return
        if self.routed_metadata or _requests_prediction_metadata(self.estimator):
            # With metadata routing, predict/score may need metadata we cannot pass: MLflow's calls
            # would differ from the user's, and estimators that record their calls would see ours.
            return
        if user_code_sees_calls(self.estimator):
            return  # the user's own predict/score (a counter, a Mock) would count autolog's calls
        if _search.is_search(self.estimator) and not hasattr(self.estimator, "best_estimator_"):
            return  # refit=False: the search cannot predict or score
        collected: dict = {}
        metrics = training_metrics(
            self.estimator, self.X, self.y, self.sample_weight, self.options.pos_label, collected=collected
        )
        run.log_metrics(finite_metrics(metrics))
        attempt("sklearn: evaluation plots", _log_evaluation, run, self.estimator, self.X, collected)

    def _log_search(self, run: RunHandle) -> None:
        search = self.estimator
        run.log_params_and_tags(_search.best_params(search))
        run.log_metrics(_search.best_score_metrics(search))
        if getattr(search, "cv_results_", None):
            run.log_text(_search.cv_results_csv(search.cv_results_), _search.CV_RESULTS_ARTIFACT)
        _search.log_child_runs(run, search, self.options.max_tuning_runs, self.context_tags)
        attempt("sklearn: search plots", _log_search_plot, run, search)


_PREDICTION_METHODS = ("predict", "predict_proba", "score")


def _requests_prediction_metadata(estimator: Any) -> bool:
    """With metadata routing on: whether the estimator, or anything it routes to (a step, a
    scorer), requests metadata in ``predict``/``predict_proba``/``score``; autolog's calls could
    not pass it, and a consumer recording its calls would see one without it."""
    if not _routing_enabled():
        return False
    try:
        from sklearn.utils.metadata_routing import get_routing_for_object

        routing = get_routing_for_object(estimator)
        for method in _PREDICTION_METHODS:
            names = routing._get_param_names(method=method, return_alias=True, ignore_self_request=False)
            if names and routing.consumes(method=method, params=names):
                return True
    except Exception:  # an estimator without (valid) routing: scikit-learn's calls decide
        return False
    return False


def _sklearn_version() -> str:
    import sklearn  # already imported: the estimator being fitted comes from it

    return sklearn.__version__


def _log_evaluation(run: RunHandle, estimator: Any, X: Any, collected: dict, name: str = "training") -> None:
    data = _evaluation.evaluation_data(estimator, X, collected)
    if data is not None:
        run.log_text(_evaluation.to_json(data), _evaluation.artifact_file(name))


def _log_search_plot(run: RunHandle, search: Any) -> None:
    data = _evaluation.search_data(search)
    if data is not None:
        run.log_text(_evaluation.to_json(data), _evaluation.SEARCH_ARTIFACT)


def failure_tags(error: BaseException) -> dict[str, str]:
    """``autolog.error``: the exception's type and message, for a run ended FAILED."""
    message = str(error)
    text = type(error).__qualname__ + (f": {message}" if message else "")
    return {FAILURE_TAG: text[:MAX_FAILURE_TEXT]}


MAX_FAILURE_TEXT = 2000


def _cloudpickle_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("cloudpickle") is not None


def _columns(X: Any) -> list | None:
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    return list(columns)


def _as_passed(X: Any, columns: list | None) -> Any:
    """``X`` with the columns it had when passed (a step may have added some during the fit)."""
    if columns is None or list(X.columns) == columns:
        return X
    return X[columns]


def _signature_of(model: Any, X: Any) -> Any:
    from autolog.models import infer_signature

    return infer_signature(model, X)
