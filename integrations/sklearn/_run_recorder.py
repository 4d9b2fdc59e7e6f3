"""What one autologged scikit-learn training call records."""

from __future__ import annotations

import functools
import inspect
import pickle
import weakref
from typing import Any, Optional

from autolog.engine import (
    RunHandle,
    RunSpec,
    TrainingRecorder,
    attempt,
    finite_metrics,
    get_options,
    register_autologged_model,
    report_internal_error,
    warn_once,
)

from autolog._core._constants import FAILURE_TAG

from autolog.integrations._git_diff import log_git_diff as _log_git_diff
from autolog.integrations.sklearn import _search
from autolog.integrations.sklearn._coverage import is_covered
from autolog.integrations.sklearn._params import stable_params

INPUT_EXAMPLE_ROWS = 5
_signature_cache: "weakref.WeakKeyDictionary[Any, inspect.Signature]" = weakref.WeakKeyDictionary()


def make_recorder(estimator: Any, method: str, bound_method: Any, args: tuple, kwargs: dict) -> Optional["SklearnFitRecorder"]:
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
    function = getattr(bound_method, "__func__", bound_method)
    signature = _signature_cache.get(function)
    if signature is None:
        signature = inspect.signature(bound_method)
        _signature_cache[function] = signature
    try:
        bound = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:  # the call itself is wrong: the original will say so
        bound = {}
    extra = bound.get("kwargs") or bound.get("fit_params") or bound.get("params") or {}
    X = bound.get("X", args[0] if args else None)
    y = bound.get("y", bound.get("Y"))
    sample_weight = bound.get("sample_weight", extra.get("sample_weight") if isinstance(extra, dict) else None)
    return X, y, sample_weight


class SklearnFitRecorder(TrainingRecorder):
    """Records params, tags, dataset fingerprint, training metrics and the model of one fit."""

    kind = "sklearn"

    def __init__(self, estimator: Any, method: str, X: Any, y: Any, sample_weight: Any):
        self.estimator = estimator
        self.method = method
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.options = get_options()
        self.context_tags: dict[str, str] = {}
        self.columns_changed = False
        self.routed_metadata = False
        # Taken before the user's call: a step may change X in place during the fit.
        self.columns = _columns(X)
        self.input_example = _first_rows(X) if self.options.log_models and self.options.log_input_examples else None
        if self.input_example is not None and hasattr(self.input_example, "copy"):
            self.input_example = self.input_example.copy()

    def run_spec(self) -> RunSpec:
        estimator_class = type(self.estimator)
        tags = {
            "estimator_name": estimator_class.__name__,
            "estimator_class": f"{estimator_class.__module__}.{estimator_class.__qualname__}",
            "autolog.framework": "sklearn",
            "autolog.framework.version": _sklearn_version(),
        }
        ok, context = attempt("sklearn: run context", _run_context)
        if ok:
            tags.update(context)
            self.context_tags = context
        if self.options.log_datasets and self.X is not None:
            ok, data_tags = attempt("sklearn: dataset fingerprint", _dataset_tags, self.X, self.y)
            if ok:
                tags.update(data_tags)
        if self.options.registered_model_name and self.options.log_models:
            tags["autolog.registered_model_name"] = self.options.registered_model_name
        searching = _search.is_search(self.estimator)
        params = _search.search_params(self.estimator) if searching else stable_params(self.estimator)
        return RunSpec(name=estimator_class.__name__, params=params, tags=tags)

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
            self._log_model(run, self.estimator, "model")
            best = getattr(self.estimator, "best_estimator_", None) if searching else None
            if best is not None:
                self._log_model(run, best, "best_estimator")
        attempt("sklearn: git diff", _log_git_diff, run)

    def on_failure(self, run: RunHandle, error: BaseException) -> None:
        run.set_tags(failure_tags(error))

    def after_run(self, run: RunHandle, result: Any) -> None:
        from autolog.integrations.sklearn._post_training import on_fit_finished

        on_fit_finished(self.estimator, run.run_id)

    def _log_training_metrics(self, run: RunHandle) -> None:
        from autolog.integrations.sklearn._metrics import training_metrics

        if self.X is None or self.y is None:
            return
        if self.routed_metadata:
            # With metadata routing, predict/score may need metadata we cannot pass: MLflow's calls
            # would differ from the user's, and estimators that record their calls would see ours.
            return
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

    def _log_model(self, run: RunHandle, model: Any, name: str) -> None:
        from autolog.models import log_model

        signature: Any = self.options.log_model_signatures
        if signature and self.columns_changed and self.input_example is None:
            signature = _signature_of(model, self.X)  # the columns as passed, not as left by the fit
        chosen = self.options.serialization_format
        save = functools.partial(
            log_model, model, name, run_id=run.run_id, input_example=self.input_example, signature=signature
        )
        try:
            try:
                save(serialization_format=chosen)
            except _NOT_PICKLABLE:
                if chosen != "pickle" or not _cloudpickle_installed():
                    raise
                # MLflow's default format: saves lambdas and local functions plain pickle cannot.
                save(serialization_format="cloudpickle")
        except _NOT_PICKLABLE as error:
            # The user's model (or environment) cannot be serialized: their problem, not our bug.
            warn_once(
                f"sklearn: model not serializable {type(model).__name__}",
                f"autolog: the {type(model).__name__} model could not be saved "
                f"({type(error).__name__}: {error}); the run is recorded without it.",
            )
        except Exception as error:  # noqa: BLE001 - contract: report, never break the fit
            report_internal_error("sklearn: logging the model", error)
        else:
            if name == "model":
                register_autologged_model(run, "model")



_sklearn_version_cache: list[str] = []


def _sklearn_version() -> str:
    if not _sklearn_version_cache:
        import sklearn

        _sklearn_version_cache.append(sklearn.__version__)
    return _sklearn_version_cache[0]


def _run_context() -> dict[str, str]:
    from autolog.context import collect_run_context

    return collect_run_context()


def _dataset_tags(X: Any, y: Any) -> dict[str, str]:
    from autolog.context import fingerprint

    return fingerprint(X, y).to_tags()


def _log_evaluation(run: RunHandle, estimator: Any, X: Any, collected: dict, name: str = "training") -> None:
    from autolog.integrations.sklearn import _evaluation

    data = _evaluation.evaluation_data(estimator, X, collected)
    if data is not None:
        run.log_text(_evaluation.to_json(data), _evaluation.artifact_file(name))


def _log_search_plot(run: RunHandle, search: Any) -> None:
    from autolog.integrations.sklearn import _evaluation

    data = _evaluation.search_data(search)
    if data is not None:
        run.log_text(_evaluation.to_json(data), _evaluation.SEARCH_ARTIFACT)


def failure_tags(error: BaseException) -> dict[str, str]:
    """``autolog.error``: the exception's type and message, for a run ended FAILED."""
    message = str(error)
    text = type(error).__qualname__ + (f": {message}" if message else "")
    return {FAILURE_TAG: text[:MAX_FAILURE_TEXT]}


MAX_FAILURE_TEXT = 2000


_NOT_PICKLABLE = (pickle.PicklingError, TypeError, AttributeError, ImportError)


def _cloudpickle_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("cloudpickle") is not None


def _columns(X: Any) -> Optional[list]:
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    return list(columns)


def _as_passed(X: Any, columns: Optional[list]) -> Any:
    """``X`` with the columns it had when passed (a step may have added some during the fit)."""
    if columns is None or list(X.columns) == columns:
        return X
    return X[columns]


def _signature_of(model: Any, X: Any) -> Any:
    from autolog.models import infer_signature

    return infer_signature(model, X)


def _first_rows(X: Any) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:INPUT_EXAMPLE_ROWS]
    try:
        return X[:INPUT_EXAMPLE_ROWS]
    except Exception:  # noqa: BLE001 - an input that cannot be sliced has no example
        return None
