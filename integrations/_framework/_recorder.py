"""The recorder every training framework (XGBoost, LightGBM, Lightning, Keras) shares."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from autolog.integrations._framework._history import MetricHistory
from autolog.integrations._framework._importance import log_feature_importance
from autolog.integrations._framework._patching import installed_version

from autolog.engine import (
    FitRecorder,
    RunHandle,
    RunSpec,
    attempt,
    bound_arguments,
    finite_metrics,
    stable_params,
)


class FrameworkRecorder(FitRecorder):
    """What one training call of a framework records; subclasses fill in the framework parts.

    The run gets the params, framework/estimator/context/dataset tags, the per-iteration metric
    history, ``training_*`` metrics for scikit-learn-style wrappers, early-stopping metrics,
    feature importance, the model in the framework's native format, and the git diff.

    Parameters
    ----------
    run_name : str
        E.g. ``"xgboost.train"`` or the wrapper's class name.
    params : dict of str to str
        Already stringified.
    history : MetricHistory
        Filled by the framework callback during the call.
    estimator : object, optional
        The scikit-learn-style wrapper being fitted, if any.
    X, y, sample_weight : optional
        The training data as the user passed it (for the fingerprint and training metrics).
    """

    framework_distributions: tuple[str, ...] = ()

    def __init__(
        self,
        run_name: str,
        params: Mapping[str, str],
        history: MetricHistory,
        *,
        estimator: Any = None,
        X: Any = None,
        y: Any = None,
        sample_weight: Any = None,
    ):
        super().__init__(estimator=estimator, X=X, y=y, sample_weight=sample_weight)
        self.run_name = run_name
        self.params = dict(params)
        self.history = history
        self.kind = f"{self.framework}: {run_name}"
        self._started = time.perf_counter()

    @classmethod
    def for_wrapper_fit(
        cls, estimator: Any, fit: Callable[..., Any], args: tuple, kwargs: dict, history: MetricHistory
    ) -> FrameworkRecorder:
        """The recorder of a scikit-learn-style wrapper's ``estimator.fit(*args, **kwargs)``.

        Parameters
        ----------
        estimator : object
            The wrapper being fitted; its class names the run, its params are the run's params.
        fit : callable
            The ``fit`` called, to find ``X``, ``y`` and ``sample_weight`` among the arguments.
        args, kwargs
            The arguments as the user passed them.
        history : MetricHistory
            Filled by the framework callback during the call.

        Returns
        -------
        FrameworkRecorder
            An instance of the class this is called on.
        """
        bound = bound_arguments(fit, args, kwargs)
        return cls(
            type(estimator).__name__,
            stable_params(estimator),
            history,
            estimator=estimator,
            X=bound.get("X"),
            y=bound.get("y"),
            sample_weight=bound.get("sample_weight"),
        )

    # hooks for subclasses ----------------------------------------------------------------------

    def model_of(self, result: Any) -> Any:
        """The model to log, given what the training call returned."""
        return self.estimator if self.estimator is not None else result

    def early_stopping_metrics(self, model: Any) -> dict[str, float]:
        """``best_iteration`` and best scores when early stopping was used, else ``{}``."""
        return {}

    def feature_importance(self, model: Any) -> dict[str, dict[str, float]]:
        """``{importance_type: {feature: value}}``; ``{}`` when the model has none."""
        return {}

    def fallback_history(self, model: Any) -> MetricHistory | None:
        """The history from the model itself, used when the callback saw no iteration."""
        return None

    def log_late_params(self, run: RunHandle) -> None:
        """Log params known only once training ran (e.g. optimizers created inside ``fit``);
        called after the call, whether it returned or raised."""

    # the TrainingRecorder protocol ---------------------------------------------------------------

    def framework_version(self) -> str:
        return installed_version(self.framework_distributions) or ""

    def run_spec(self) -> RunSpec:
        tags = self.common_tags()
        self._started = time.perf_counter()
        return RunSpec(name=self.run_name, params=self.params, tags=tags)

    def on_run_started(self, run: RunHandle) -> None:
        self.history.attach(run)  # a long training writes its curves while it runs

    def on_failure(self, run: RunHandle, error: BaseException) -> None:
        # What was collected before the exception: the partial curves and the late params.
        attempt(f"{self.framework}: metric history before the failure", self.history.log_to, run)
        attempt(f"{self.framework}: params before the failure", self.log_late_params, run)

    def log_results(self, run: RunHandle, result: Any) -> None:
        fit_seconds = time.perf_counter() - self._started
        attempt(f"{self.framework}: params after fit", self.log_late_params, run)
        model = self.model_of(result)
        attempt(f"{self.framework}: metric history", self._log_history, run, model)
        if self.estimator is not None:
            attempt(f"{self.framework}: training metrics", self._log_training_metrics, run)
        ok, best = attempt(f"{self.framework}: early stopping", self.early_stopping_metrics, model)
        if ok and best:
            run.log_metrics(finite_metrics(best))
        ok, importance = attempt(f"{self.framework}: feature importance", self.feature_importance, model)
        if ok and importance:
            attempt(
                f"{self.framework}: feature importance", log_feature_importance, run, importance, fit_seconds
            )
        if self.options.log_models:
            self.log_model(run, model)
        self.log_git_diff(run)

    def after_run(self, run: RunHandle, result: Any) -> None:
        if self.estimator is not None:
            link_post_training_metrics(self.estimator, run.run_id)

    # internals --------------------------------------------------------------------------------

    def _log_history(self, run: RunHandle, model: Any) -> None:
        history = self.history
        if not len(history):
            history = self.fallback_history(model) or history
        history.log_to(run)

    def _log_training_metrics(self, run: RunHandle) -> None:
        if self.X is None or self.y is None:
            return
        from autolog.integrations.sklearn._metrics import training_metrics

        metrics = training_metrics(self.estimator, self.X, self.y, self.sample_weight, self.options.pos_label)
        run.log_metrics(finite_metrics(metrics))


def link_post_training_metrics(estimator: Any, run_id: str) -> None:
    """Let ``sklearn.metrics`` calls on ``estimator``'s predictions log on its run.

    Uses the scikit-learn integration's post-training hook when that integration is active;
    otherwise nothing happens.
    """
    module = sys.modules.get("autolog.integrations.sklearn._post_training")
    hook = getattr(module, "on_fit_finished", None)
    if hook is not None:
        attempt("post-training metrics link", hook, estimator, run_id)
