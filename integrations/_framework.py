"""Helpers shared by the training-framework integrations (XGBoost, LightGBM; later Lightning, Keras).

What every framework integration needs and scikit-learn's does not: collecting per-iteration
metrics inside the framework's own callback and logging them in one batch, injecting that
callback into the user's call without touching the user's list, handing a callback from an
outer wrapper (``XGBClassifier.fit``) to the entry point it calls (``xgboost.train``), metric
keys the store accepts, feature importance artifacts, and a :class:`FrameworkRecorder` that
assembles the run the same way for every framework.

Importing this module imports no framework, numpy or matplotlib.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import sys
import time
import weakref
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from autolog.engine import (
    Patcher,
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

from autolog.integrations._git_diff import log_git_diff

from autolog._core._constants import MAX_KEY_LENGTH as MAX_METRIC_KEY_LENGTH  # noqa: E402
METRICS_PER_BATCH = 5000
IMPORTANCE_ARTIFACT = "feature_importance.json"
IMPORTANCE_PLOT_ARTIFACT = "feature_importance.png"
# A plot costs ~50-100 ms of drawing: worth it only next to a training call that took long.
PLOT_MIN_FIT_SECONDS = 2.0
PLOT_MAX_FEATURES = 20
INPUT_EXAMPLE_ROWS = 5

_INVALID_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-./ :]")


# -- metric keys and histories ----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # called for every metric of every iteration
def metric_key(*parts: str) -> str:
    """Join ``parts`` with ``-`` into a key the store accepts (``ndcg@5`` -> ``ndcg_at_5``)."""
    key = "-".join(str(part) for part in parts if part != "")
    key = _INVALID_KEY_CHARACTERS.sub("_", key.replace("@", "_at_"))
    return key[:MAX_METRIC_KEY_LENGTH] or "metric"


class MetricHistory:
    """Per-iteration metric values collected inside a framework callback.

    Values are kept in memory while the framework trains and logged in as few batches as
    possible with :meth:`log_to`: after the call, or before its run is ended FAILED/KILLED
    (``FrameworkRecorder.on_failure``), so a training that diverged keeps its curve.

    Once :meth:`attach` gave it the run (``FrameworkRecorder.on_run_started``), a long training
    also writes what it collected at most once per ``FLUSH_EVERY_SECONDS`` (live curves; a
    training shorter than that writes nothing more than before). Per iteration this costs one
    integer comparison. A write that fails stops the periodic writes (the values stay for
    :meth:`log_to`) and raises to the callback, which reports it under the safety contract.
    """

    FLUSH_EVERY_SECONDS = 5.0

    def __init__(self) -> None:
        self._points: list[tuple[str, float, int, int]] = []
        self.last_step: Optional[int] = None
        self._run: Optional[RunHandle] = None  # attached: written periodically while training
        self._next_flush_ms = 0
        self._logged = 0  # self._points[:self._logged] are in the store

    def __len__(self) -> int:
        return len(self._points)

    def __getstate__(self) -> dict:
        # A callback pickled into a spawned worker (Lightning) does not take the run's client.
        return {**self.__dict__, "_run": None}

    def add(self, step: int, values: Mapping[str, float]) -> None:
        """Record ``{key: value}`` at ``step`` (timestamp: now)."""
        timestamp = time.time_ns() // 1_000_000
        for key, value in values.items():
            self._points.append((key, float(value), timestamp, int(step)))
        self.last_step = int(step)
        if self._run is not None and timestamp >= self._next_flush_ms:
            self._flush_periodically(timestamp)

    def attach(self, run: RunHandle) -> None:
        """Write to ``run`` every ``FLUSH_EVERY_SECONDS`` while training (from the next add on)."""
        self._run = run
        self._next_flush_ms = time.time_ns() // 1_000_000 + int(self.FLUSH_EVERY_SECONDS * 1000)

    def as_series(self) -> dict[str, list[tuple[int, float]]]:
        """``{key: [(step, value), ...]}`` in recording order."""
        series: dict[str, list[tuple[int, float]]] = {}
        for key, value, _, step in self._points:
            series.setdefault(key, []).append((step, value))
        return series

    def log_to(self, run: RunHandle) -> None:
        """Log every value not written yet on ``run`` (one transaction per ``METRICS_PER_BATCH``);
        stops the periodic writes."""
        self._run = None
        self._write(run)

    def _flush_periodically(self, now_ms: int) -> None:
        run, self._run = self._run, None  # a store that fails is not retried during training
        self._write(run)
        self._run = run
        self._next_flush_ms = now_ms + int(self.FLUSH_EVERY_SECONDS * 1000)

    def _write(self, run: RunHandle) -> None:
        from autolog.tracking import Metric

        while self._logged < len(self._points):
            end = min(self._logged + METRICS_PER_BATCH, len(self._points))
            metrics = [Metric(*point) for point in self._points[self._logged : end]]
            run.client.log_batch(run.run_id, metrics=metrics)
            self._logged = end


def history_from_evals_result(evals_result: Mapping[str, Mapping[str, Sequence[float]]]) -> MetricHistory:
    """A :class:`MetricHistory` from a framework's ``{eval_name: {metric: [values]}}`` record."""
    history = MetricHistory()
    for eval_name, metrics in evals_result.items():
        for metric_name, values in metrics.items():
            key = metric_key(eval_name, metric_name)
            for step, value in enumerate(values):
                history.add(step, {key: _scalar(value)})
    return history


def _scalar(value: Any) -> float:
    # ``cv`` histories hold (mean, std) pairs.
    return float(value[0]) if isinstance(value, (tuple, list)) else float(value)


# -- injecting callbacks ------------------------------------------------------------------------


_signature_cache: "weakref.WeakKeyDictionary[Any, inspect.Signature]" = weakref.WeakKeyDictionary()


def with_argument(function: Callable[..., Any], args: tuple, kwargs: dict, name: str, value: Any) -> tuple[tuple, dict]:
    """``(args, kwargs)`` with the argument ``name`` of ``function`` set to ``value``.

    Replaced where the user passed it (by position or keyword), added as a keyword otherwise.
    The caller's ``args`` and ``kwargs`` are not modified.
    """
    if name in kwargs:
        return args, {**kwargs, name: value}
    position = _positional_index(function, name)
    if position is not None and position < len(args):
        return args[:position] + (value,) + args[position + 1 :], dict(kwargs)
    return args, {**kwargs, name: value}


def argument_value(function: Callable[..., Any], args: tuple, kwargs: dict, name: str, default: Any = None) -> Any:
    """The value the caller gave for the argument ``name`` of ``function`` (or ``default``)."""
    if name in kwargs:
        return kwargs[name]
    position = _positional_index(function, name)
    if position is not None and position < len(args):
        return args[position]
    return default


def bound_arguments(function: Callable[..., Any], args: tuple, kwargs: dict) -> dict[str, Any]:
    """The caller's arguments by parameter name (defaults not applied; ``{}`` if they do not bind)."""
    try:
        return dict(_signature(function).bind_partial(*args, **kwargs).arguments)
    except TypeError:  # the call itself is wrong: the framework will say so
        return {}


def _positional_index(function: Callable[..., Any], name: str) -> Optional[int]:
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for index, parameter in enumerate(_signature(function).parameters.values()):
        if parameter.name == name:
            return index if parameter.kind in positional else None
    return None


def _signature(function: Callable[..., Any]) -> inspect.Signature:
    key = getattr(function, "__func__", function)
    try:
        return _signature_cache[key]
    except (KeyError, TypeError):
        pass
    signature = inspect.signature(function)
    try:
        _signature_cache[key] = signature
    except TypeError:  # not weak-referenceable: just not cached
        pass
    return signature


def callbacks_with(ours: Any, callbacks: Optional[Iterable[Any]]) -> list:
    """A NEW list: ``ours`` first, then the user's callbacks (their list is left as it was).

    First, so a user callback that stops training cannot keep ours from seeing that iteration,
    and so frameworks that order callbacks by position give the user's the same places.
    """
    return [ours, *(callbacks or ())]


class CallbackHandoff:
    """Offers a callback from an outer training call to the framework entry point it calls.

    ``XGBClassifier.fit`` has no ``callbacks`` argument; it calls ``xgboost.train``, whose
    wrapper claims the callback offered by the fit wrapper. Per thread and async task; a claim
    takes the offer, so a second inner call does not get it too.

    Parameters
    ----------
    name : str
        Name of the context variable (for debugging).
    """

    def __init__(self, name: str):
        self._offered: contextvars.ContextVar[Any] = contextvars.ContextVar(name, default=None)

    def call_offering(self, callback: Any, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``function(*args, **kwargs)`` with ``callback`` on offer (exceptions propagate)."""
        token = self._offered.set(callback)
        try:
            return function(*args, **kwargs)
        finally:
            self._offered.reset(token)

    def offering(self, callback: Any, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` bound so that calling it offers ``callback`` to inner entry points."""
        return functools.partial(self.call_offering, callback, function)

    def claim(self) -> Any:
        """Take the callback on offer, or None."""
        callback = self._offered.get()
        if callback is not None:
            self._offered.set(None)
        return callback


# -- patching train/fit entry points -------------------------------------------------------------


def patch_train_and_fit(
    patcher: Patcher,
    *,
    train_modules: Sequence[str],
    train_wrapper: Callable[..., Any],
    wrapper_module: str,
    wrapper_classes: Sequence[str],
    fit_wrapper: Callable[..., Any],
) -> None:
    """Wrap a framework's ``train`` functions and its wrappers' ``fit`` as their modules are imported.

    Parameters
    ----------
    patcher : Patcher
        The patcher that installs (and later restores) every wrapper.
    train_modules : sequence of str
        Modules whose ``train`` attribute is wrapped with ``train_wrapper`` (every name the
        function is reachable under, e.g. ``xgboost`` and ``xgboost.training``).
    train_wrapper : callable
        The wrapper of ``train``.
    wrapper_module : str
        The module defining the scikit-learn-style wrapper classes.
    wrapper_classes : sequence of str
        Names of those classes; ``fit`` is wrapped once, on the class that defines it
        (``XGBModel`` serves ``XGBRegressor``). A class missing in this version is passed over.
    fit_wrapper : callable
        The wrapper of ``fit``.
    """
    for module_name in train_modules:
        patcher.when_imported(module_name, functools.partial(_wrap_train, patcher, train_wrapper))
    patcher.when_imported(wrapper_module, functools.partial(_wrap_fits, patcher, wrapper_classes, fit_wrapper))


def _wrap_train(patcher: Patcher, train_wrapper: Callable[..., Any], module: ModuleType) -> None:
    patcher.wrap(module, "train", train_wrapper)


def _wrap_fits(patcher: Patcher, class_names: Sequence[str], fit_wrapper: Callable[..., Any], module: ModuleType) -> None:
    for class_name in class_names:
        cls = getattr(module, class_name, None)
        owner = _defining_class(cls, "fit") if cls is not None else None
        if owner is not None:
            patcher.wrap(owner, "fit", fit_wrapper)


def _defining_class(cls: type, attr_name: str) -> Optional[type]:
    return next((klass for klass in cls.__mro__ if attr_name in vars(klass)), None)


# -- versions -------------------------------------------------------------------------------------


def installed_version(distributions: Sequence[str]) -> Optional[str]:
    """Version of the first installed distribution among ``distributions`` (e.g. xgboost, xgboost-cpu)."""
    from autolog.context import package_versions

    for distribution in distributions:
        version = package_versions([distribution]).get(distribution)
        if version is not None:
            return version
    return None


def installed_distribution(distributions: Sequence[str]) -> str:
    """The first installed distribution among ``distributions`` (the first one if none is)."""
    from autolog.context import package_versions

    for distribution in distributions:
        if package_versions([distribution]):
            return distribution
    return distributions[0]


# -- the recorder -------------------------------------------------------------------------------


class FrameworkRecorder(TrainingRecorder):
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

    framework: str = ""
    framework_distributions: tuple[str, ...] = ()
    flavor: str = ""
    serialization_format: str = ""

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
        self.run_name = run_name
        self.params = dict(params)
        self.history = history
        self.estimator = estimator
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.options = get_options()
        self.kind = f"{self.framework}: {run_name}"
        self._started = time.perf_counter()

    @classmethod
    def for_wrapper_fit(
        cls, estimator: Any, fit: Callable[..., Any], args: tuple, kwargs: dict, history: MetricHistory
    ) -> "FrameworkRecorder":
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
        from autolog.integrations.sklearn._params import stable_params

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

    def fallback_history(self, model: Any) -> Optional[MetricHistory]:
        """The history from the model itself, used when the callback saw no iteration."""
        return None

    def extra_tags(self) -> dict[str, str]:
        """Framework-specific tags (e.g. dataset shape when the data is not fingerprintable)."""
        return {}

    def log_late_params(self, run: RunHandle) -> None:
        """Log params known only once training ran (e.g. optimizers created inside ``fit``);
        called after the call, whether it returned or raised."""

    # the TrainingRecorder protocol ---------------------------------------------------------------

    def run_spec(self) -> RunSpec:
        tags = {
            "autolog.framework": self.framework,
            "autolog.framework.version": installed_version(self.framework_distributions) or "",
        }
        if self.estimator is not None:
            cls = type(self.estimator)
            tags["estimator_name"] = cls.__name__
            tags["estimator_class"] = f"{cls.__module__}.{cls.__qualname__}"
        for kind, collect in (("run context", _run_context_tags), ("tags", self.extra_tags)):
            ok, collected = attempt(f"{self.framework}: {kind}", collect)
            if ok:
                tags.update(collected)
        if self.options.log_datasets and self.X is not None:
            ok, data_tags = attempt(f"{self.framework}: dataset fingerprint", _dataset_tags, self.X, self.y)
            if ok:
                tags.update(data_tags)
        if self.options.registered_model_name and self.options.log_models:
            tags["autolog.registered_model_name"] = self.options.registered_model_name
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
            attempt(f"{self.framework}: feature importance", log_feature_importance, run, importance, fit_seconds)
        if self.options.log_models:
            log_native_model(run, model, self)
        attempt(f"{self.framework}: git diff", log_git_diff, run)

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


def _run_context_tags() -> dict[str, str]:
    from autolog.context import collect_run_context
    from autolog.integrations._git_diff import recorded_context

    return recorded_context(collect_run_context())


def _dataset_tags(X: Any, y: Any) -> dict[str, str]:
    from autolog.context import fingerprint

    return fingerprint(X, y).to_tags()


def first_rows(X: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Any:
    """The first ``rows`` rows of ``X`` (None when ``X`` cannot be sliced)."""
    if hasattr(X, "iloc"):
        return X.iloc[:rows]
    try:
        return X[:rows]
    except Exception:  # noqa: BLE001 - an input that cannot be sliced has no example
        return None


# -- artifacts ------------------------------------------------------------------------------------


def log_feature_importance(run: RunHandle, importance: Mapping[str, Mapping[str, float]], fit_seconds: float) -> None:
    """Log ``{importance_type: {feature: value}}`` as JSON, and as a plot when that is cheap.

    The plot is drawn only when matplotlib is already imported (no import cost) and the
    training call took at least ``PLOT_MIN_FIT_SECONDS`` (drawing is then a few percent of it).
    """
    rounded = {kind: {str(f): float(v) for f, v in values.items()} for kind, values in importance.items()}
    run.client.log_dict(run.run_id, rounded, IMPORTANCE_ARTIFACT)
    if "matplotlib" in sys.modules and fit_seconds >= PLOT_MIN_FIT_SECONDS:
        _log_importance_plot(run, rounded)


def _log_importance_plot(run: RunHandle, importance: Mapping[str, Mapping[str, float]]) -> None:
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    kind = "gain" if "gain" in importance else next(iter(importance))
    top = sorted(importance[kind].items(), key=lambda item: item[1], reverse=True)[:PLOT_MAX_FEATURES]
    figure = Figure(figsize=(6, 0.3 * len(top) + 1))
    axes = figure.add_subplot()
    axes.barh([name for name, _ in reversed(top)], [value for _, value in reversed(top)])
    axes.set_xlabel(f"importance ({kind})")
    figure.tight_layout()
    run.client.log_figure(run.run_id, figure, IMPORTANCE_PLOT_ARTIFACT)


def log_native_model(run: RunHandle, model: Any, recorder: FrameworkRecorder) -> None:
    """Log ``model`` as the artifact ``model`` through the recorder's native-format flavor.

    A model the framework cannot save is the user's concern: one warning, the run stays.
    """
    from autolog.models import log_model

    options = recorder.options
    example = first_rows(recorder.X) if options.log_input_examples and recorder.X is not None else None
    try:
        log_model(
            model,
            "model",
            run_id=run.run_id,
            flavor=recorder.flavor,
            serialization_format=recorder.serialization_format,
            input_example=example,
            signature=options.log_model_signatures,
        )
    except (TypeError, ValueError) as error:
        warn_once(
            f"{recorder.framework}: model not saved {type(model).__name__}",
            f"autolog: the {type(model).__name__} model could not be saved "
            f"({type(error).__name__}: {error}); the run is recorded without it.",
        )
    except Exception as error:  # noqa: BLE001 - contract: report, never break the training call
        report_internal_error(f"{recorder.framework}: logging the model", error)
    else:
        register_autologged_model(run, "model")


def link_post_training_metrics(estimator: Any, run_id: str) -> None:
    """Let ``sklearn.metrics`` calls on ``estimator``'s predictions log on its run.

    Uses the scikit-learn integration's post-training hook when that integration is active;
    otherwise nothing happens.
    """
    module = sys.modules.get("autolog.integrations.sklearn._post_training")
    hook = getattr(module, "on_fit_finished", None)
    if hook is not None:
        attempt("post-training metrics link", hook, estimator, run_id)


# -- model classes on load -------------------------------------------------------------------------


def recorded_class(qualified_name: str, package: str, base: type) -> Optional[type]:
    """The class ``module.Name`` recorded with a model, if it is a subclass of ``base``.

    Only modules of ``package`` are imported; another module (the user's own subclass) is used
    when the process already imported it. The model metadata is not covered by the model's
    sha256, so it must not decide what gets imported. Returns None when unavailable.
    """
    import importlib

    module_name, _, class_name = qualified_name.rpartition(".")
    if module_name == package or module_name.startswith(package + "."):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
    else:
        module = sys.modules.get(module_name)
    cls = getattr(module, class_name, None) if module is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, base) else None
