"""What one autologged scikit-learn training call records."""

from __future__ import annotations

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
    return SklearnFitRecorder(estimator, method, X, y, sample_weight)


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
        if self.options.log_datasets and self.X is not None:
            ok, data_tags = attempt("sklearn: dataset fingerprint", _dataset_tags, self.X, self.y)
            if ok:
                tags.update(data_tags)
        if self.options.registered_model_name and self.options.log_models:
            tags["autolog.registered_model_name"] = self.options.registered_model_name
        return RunSpec(name=estimator_class.__name__, params=stable_params(self.estimator), tags=tags)

    def log_results(self, run: RunHandle, result: Any) -> None:
        searching = _search.is_search(self.estimator)
        if searching:
            attempt("sklearn: search results", self._log_search, run)
        attempt("sklearn: training metrics", self._log_training_metrics, run)
        if self.options.log_models:
            model = getattr(self.estimator, "best_estimator_", None) if searching else self.estimator
            if model is not None:
                self._log_model(run, model)
        attempt("sklearn: git diff", _log_git_diff, run)

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

    def _log_model(self, run: RunHandle, model: Any) -> None:
        from autolog.models import log_model

        input_example = _first_rows(self.X) if self.options.log_input_examples else None
        try:
            log_model(
                model,
                "model",
                run_id=run.run_id,
                serialization_format=self.options.serialization_format,
                input_example=input_example,
                signature=self.options.log_model_signatures,
                wait=False,  # a remote artifact root uploads in the background, not in the fit
            )
        except (pickle.PicklingError, TypeError, AttributeError, ImportError) as error:
            # The user's model (or environment) cannot be serialized: their problem, not our bug.
            warn_once(
                f"sklearn: model not serializable {type(model).__name__}",
                f"autolog: the {type(model).__name__} model could not be saved "
                f"({type(error).__name__}: {error}); the run is recorded without it.",
            )
        except Exception as error:  # noqa: BLE001 - contract: report, never break the fit
            report_internal_error("sklearn: logging the model", error)
        else:
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


def _first_rows(X: Any) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:INPUT_EXAMPLE_ROWS]
    try:
        return X[:INPUT_EXAMPLE_ROWS]
    except Exception:  # noqa: BLE001 - an input that cannot be sliced has no example
        return None
