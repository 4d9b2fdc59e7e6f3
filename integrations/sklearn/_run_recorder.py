"""What one autologged scikit-learn training call records."""

from __future__ import annotations

import pickle
from typing import Any, Optional

from autolog.engine import FitRecorder, RunHandle, RunSpec, attempt, bound_arguments, finite_metrics, stable_params

from autolog.integrations.sklearn import _search
from autolog.integrations.sklearn._coverage import is_covered


def make_recorder(estimator: Any, method: str, bound_method: Any, args: tuple, kwargs: dict) -> Optional["SklearnFitRecorder"]:
    """The recorder for ``estimator.<method>(*args, **kwargs)``, or None if not covered."""
    if estimator is None or not is_covered(type(estimator)):
        return None
    X, y, sample_weight = _training_data(bound_method, args, kwargs)
    return SklearnFitRecorder(estimator, method, X, y, sample_weight)


def _training_data(bound_method: Any, args: tuple, kwargs: dict) -> tuple[Any, Any, Any]:
    """``X``, ``y`` and ``sample_weight`` as the user passed them, by name or position."""
    bound = bound_arguments(bound_method, args, kwargs)
    extra = bound.get("kwargs") or bound.get("fit_params") or bound.get("params") or {}
    X = bound.get("X", args[0] if args else None)
    y = bound.get("y", bound.get("Y"))
    sample_weight = bound.get("sample_weight", extra.get("sample_weight") if isinstance(extra, dict) else None)
    return X, y, sample_weight


class SklearnFitRecorder(FitRecorder):
    """Records params, tags, dataset fingerprint, training metrics and the model of one fit."""

    kind = "sklearn"
    framework = "sklearn"
    # The user's model (or environment) cannot be serialized: their problem, not our bug.
    unsaveable_errors = (pickle.PicklingError, TypeError, AttributeError, ImportError)

    def __init__(self, estimator: Any, method: str, X: Any, y: Any, sample_weight: Any):
        super().__init__(estimator=estimator, X=X, y=y, sample_weight=sample_weight)
        self.method = method

    def framework_version(self) -> str:
        return _sklearn_version()

    def run_spec(self) -> RunSpec:
        params = stable_params(self.estimator)
        return RunSpec(name=type(self.estimator).__name__, params=params, tags=self.common_tags())

    def log_results(self, run: RunHandle, result: Any) -> None:
        searching = _search.is_search(self.estimator)
        if searching:
            attempt("sklearn: search results", self._log_search, run)
        attempt("sklearn: training metrics", self._log_training_metrics, run)
        if self.options.log_models:
            model = getattr(self.estimator, "best_estimator_", None) if searching else self.estimator
            if model is not None:
                self.log_model(run, model)
        self.log_git_diff(run)

    def after_run(self, run: RunHandle, result: Any) -> None:
        from autolog.integrations.sklearn._post_training import on_fit_finished

        on_fit_finished(self.estimator, run.run_id)

    def _log_training_metrics(self, run: RunHandle) -> None:
        from autolog.integrations.sklearn._metrics import training_metrics

        if self.X is None:
            return
        metrics = training_metrics(self.estimator, self.X, self.y, self.sample_weight, self.options.pos_label)
        run.log_metrics(finite_metrics(metrics))

    def _log_search(self, run: RunHandle) -> None:
        search = self.estimator
        run.log_params_and_tags(_search.best_params(search))
        run.log_metrics(_search.best_score_metrics(search))
        if getattr(search, "cv_results_", None):
            run.log_text(_search.cv_results_csv(search.cv_results_), _search.CV_RESULTS_ARTIFACT)
        _search.log_child_runs(run, search, self.options.max_tuning_runs)


def _sklearn_version() -> str:
    import sklearn  # already imported: the estimator being fitted comes from it

    return sklearn.__version__
