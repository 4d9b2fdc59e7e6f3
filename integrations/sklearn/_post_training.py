"""Evaluation metrics after training: metric calls on an autologged model's predictions.

After an autologged fit, ``accuracy_score(y_test, model.predict(X_test))`` logs
``accuracy_score_X_test`` on that model's run. How:

1. :func:`on_fit_finished` remembers ``estimator -> run_id`` (weakly) and wraps the estimator's
   prediction methods on the classes that define them (lazily: only classes of autologged models).
2. A wrapped prediction method remembers ``output array -> (run_id, dataset name)``, the dataset
   name being the caller's variable name for ``X`` (``X_test``), ``dataset`` when none is found,
   made unique per run (``X_test-2`` for another object under the same name).
3. The metric functions of ``sklearn.metrics`` are hooked: when their prediction argument
   (``y_pred``, ``y_score``, ...) is, or is a view of, a remembered output, and the call comes
   from the user's code (directly or through a scorer the user called), the value is logged as
   ``{metric}_{dataset}`` (``-2``, ``-3``... for a repeated key). ``model.score(X, y)`` logs
   ``{ClassName}_score_{dataset}``.

How the metric functions are hooked: the public ones are wrapped by scikit-learn's
``validate_params``, whose wrapper calls the undecorated function through its closure cell
``func``. We swap that cell's contents for a hook around the undecorated function
(:meth:`Patcher.replace_cell`), so the function object the user holds is untouched and every
reference to it, ``from sklearn.metrics import accuracy_score`` *before* ``autolog()`` included,
runs the hook; so do scorers (their ``_score_func`` is that same object). Identity,
``__wrapped__``, signature, docstring, pickling by reference and ``copy.deepcopy`` are unchanged.
A function of another shape (or whose cell does not hold its ``__wrapped__``) falls back to
attribute replacement by a ``functools.wraps`` function on the public module, the defining module
and the predefined scorers (the fallback for an unexpected shape is reported once).

Calls made by scikit-learn itself (``model.score`` calling ``accuracy_score``, ``zero_one_loss``
calling it, displays, ``permutation_importance``, cross-validation) are not logged: the hook
checks that the first caller outside scikit-learn's wrapper and scorer frames is not library
code, besides the engine's guards (suppressed, in a training call, disabled).

Nothing is kept alive: estimators, outputs and datasets are held by weak references only.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import threading
import time
import weakref
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, Callable, Optional

from autolog.engine import (
    disabled_here,
    get_options,
    guarded_call,
    in_training_call,
    is_enabled,
    is_suppressed,
    warn_once,
)

KIND = "sklearn: post-training metrics"
PREDICTION_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
SCORE_METHOD = "score"
METRIC_NAME_ENDINGS = ("_score", "_error", "_loss", "_deviance")
EXTRA_METRIC_NAMES = ("matthews_corrcoef",)
# Parameters that take a model's output; the first of them in a signature is the one watched.
PREDICTION_PARAMETERS = (
    "y_pred",
    "y_score",
    "y_proba",
    "y_prob",
    "probas_pred",
    "pred_decision",
    "labels_pred",
    "labels",
    "y2",
)
FALLBACK_DATASET_NAME = "dataset"
# The closure cell through which ``validate_params``'s wrapper calls the undecorated function.
VALIDATED_FUNCTION_CELL = "func"
_MAX_VIEW_DEPTH = 4
_MAX_RUNS_WITH_NAMES = 1024

# Set while a tracked prediction, score or metric call runs: calls nested in it (Pipeline steps,
# ``score`` -> ``predict`` -> ``accuracy_score``, ``zero_one_loss`` -> ``accuracy_score``) are the
# implementation of the outer call and must not record anything themselves.
_BUSY: ContextVar[bool] = ContextVar("autolog_sklearn_post_training_busy", default=False)


class IdentityWeakMap:
    """Map objects to values by identity, without keeping the objects alive.

    Keys are ``id(obj)`` paired with a weak reference that is checked on every read, so an id
    reused by a new object after the old one died can never return the old value. Objects that do
    not support weak references are not stored.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def set(self, obj: Any, value: Any) -> bool:
        """Remember ``value`` for ``obj``; False if ``obj`` cannot be weakly referenced."""
        key = id(obj)
        entries = self._entries

        def forget(ref: weakref.ref) -> None:
            entry = entries.get(key)
            if entry is not None and entry[0] is ref:
                entries.pop(key, None)

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:
            return False
        entries[key] = (ref, value)
        return True

    def get(self, obj: Any) -> Any:
        """The value remembered for this very object, else None."""
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        return None

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()


class _RunNames:
    """Per-run naming state: unique dataset names and ``-2`` suffixes for repeated metric keys.

    Bounded to the most recently used runs, so memory stays flat over any number of fits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, tuple[dict, dict]] = OrderedDict()

    def _run(self, run_id: str) -> tuple[dict, dict]:
        state = self._runs.pop(run_id, None) or ({}, {})
        self._runs[run_id] = state
        while len(self._runs) > _MAX_RUNS_WITH_NAMES:
            self._runs.popitem(last=False)
        return state

    def dataset_name(self, run_id: str, base_name: str, dataset: Any) -> str:
        """``base_name`` for the first object seen under it on this run, then ``base_name-2``..."""
        with self._lock:
            datasets, _ = self._run(run_id)
            seen = datasets.setdefault(base_name, [])
            position = next((i for i, ref in enumerate(seen) if _same_object(ref, dataset)), None)
            if position is None:
                position = len(seen)
                seen.append(_identity_ref(dataset))
        return base_name if position == 0 else f"{base_name}-{position + 1}"

    def metric_key(self, run_id: str, key: str) -> str:
        """``key`` the first time on this run, then ``key-2``, ``key-3``..."""
        with self._lock:
            _, counts = self._run(run_id)
            counts[key] = counts.get(key, 0) + 1
            count = counts[key]
        return key if count == 1 else f"{key}-{count}"

    def clear(self) -> None:
        """Forget every run."""
        with self._lock:
            self._runs.clear()


def _identity_ref(obj: Any) -> tuple[int, Optional[weakref.ref]]:
    try:
        return id(obj), weakref.ref(obj)
    except TypeError:
        return id(obj), None


def _same_object(ref: tuple[int, Optional[weakref.ref]], obj: Any) -> bool:
    object_id, weak = ref
    if object_id != id(obj):
        return False
    return weak is None or weak() is obj


class _State:
    """Everything this module patched or remembers; reset by :func:`patch`."""

    def __init__(self) -> None:
        self.patcher = None
        self.lock = threading.RLock()
        self.runs_by_model = IdentityWeakMap()
        self.origins = IdentityWeakMap()
        self.names = _RunNames()
        self.patched_classes: "weakref.WeakSet[type]" = weakref.WeakSet()


_STATE = _State()


# -- patching -------------------------------------------------------------------------------


def patch(patcher: Any) -> None:
    """Hook the metric functions of ``sklearn.metrics`` (see the module docstring).

    Prediction methods are wrapped later, per class, by :func:`on_fit_finished`.

    Parameters
    ----------
    patcher : autolog.engine.Patcher
        Records every cell swap and replacement so ``restore()`` puts the original objects back.
    """
    _reset(patcher)
    import sklearn.metrics

    fallbacks, unexpected = {}, []
    for name, public in metric_functions(sklearn.metrics).items():
        parameter = _prediction_parameter(public)
        if parameter is None:
            continue
        inner = validated_inner_function(public)
        if inner is not None:
            if patcher.is_cell_replaced(public, VALIDATED_FUNCTION_CELL):
                continue
            hook = _metric_hook(inner, name, parameter)
            if patcher.replace_cell(public, VALIDATED_FUNCTION_CELL, hook, expected=inner):
                continue
            unexpected.append(name)
        fallbacks[name] = (public, _metric_hook(public, name, parameter))
    if unexpected:
        warn_once(
            f"{KIND}: cell swap",
            f"autolog: the validate_params wrapper of sklearn.metrics.{', '.join(unexpected)} does not "
            f"hold the expected function; patched by attribute instead, so a reference imported "
            f"before autolog() is not tracked.",
        )
    _replace_attributes(patcher, sklearn.metrics, fallbacks)


def _replace_attributes(patcher: Any, public_module: Any, wrappers: dict) -> None:
    """The fallback: ``name -> (original, wrapper)`` on the public module, defining module, scorers."""
    if not wrappers:
        return
    from sklearn.metrics import _scorer

    for name, (original, wrapper) in wrappers.items():
        _replace_attribute(patcher, public_module, name, wrapper)
        defining_module = sys.modules.get(original.__module__)
        if defining_module is not None and getattr(defining_module, name, None) is original:
            _replace_attribute(patcher, defining_module, name, wrapper)
    by_original = {original: wrapper for original, wrapper in wrappers.values()}
    for scorer in _scorer._SCORERS.values():
        wrapper = by_original.get(getattr(scorer, "_score_func", None))
        if wrapper is not None:
            _replace_attribute(patcher, scorer, "_score_func", wrapper)


@functools.lru_cache(maxsize=None)
def _validate_params_wrapper_code() -> Any:
    """The code object shared by every wrapper ``validate_params`` makes (None if unavailable)."""
    try:
        from sklearn.utils._param_validation import validate_params
    except ImportError:
        return None

    def probe():
        return None

    return validate_params({}, prefer_skip_nested_validation=True)(probe).__code__


def validated_inner_function(function: Any) -> Optional[Callable[..., Any]]:
    """The undecorated function if ``function`` is a ``validate_params`` wrapper, else None."""
    code = _validate_params_wrapper_code()
    if code is None or getattr(function, "__code__", None) is not code:
        return None
    return getattr(function, "__wrapped__", None)


def _reset(patcher: Any) -> None:
    with _STATE.lock:
        _STATE.patcher = patcher
        _STATE.runs_by_model.clear()
        _STATE.origins.clear()
        _STATE.names.clear()
        _STATE.patched_classes = weakref.WeakSet()


def metric_functions(module: Any) -> dict[str, Callable[..., Any]]:
    """The public metric functions of ``module``: names ending in ``_score``, ``_error``,
    ``_loss``, ``_deviance``, plus ``matthews_corrcoef``.
    """
    found = {}
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if name.endswith(METRIC_NAME_ENDINGS) or name in EXTRA_METRIC_NAMES:
            found[name] = value
    return found


def _replace_attribute(patcher: Any, owner: Any, attr_name: str, replacement: Any) -> None:
    """Set ``owner.attr_name = replacement`` so that ``patcher.restore()`` undoes it.

    Plain functions rather than wrapt proxies: the originals are plain functions, and a plain
    ``functools.wraps`` function pickles by reference to the very same name, deep-copies as
    itself and keeps ``__doc__`` and ``inspect.signature``.
    """
    patcher.replace(owner, attr_name, replacement)


def _prediction_parameter(function: Callable[..., Any]) -> Optional[tuple[int, str]]:
    """Position (-1 if keyword-only) and name of the first parameter that takes a model's output."""
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for position, parameter in enumerate(inspect.signature(function).parameters.values()):
        if parameter.name in PREDICTION_PARAMETERS:
            return (position if parameter.kind in positional_kinds else -1), parameter.name
    return None


def _metric_hook(original: Callable[..., Any], metric_name: str, parameter: tuple[int, str]) -> Callable[..., Any]:
    """A plain function behaving like ``original`` that logs values on remembered predictions.

    ``original`` is the undecorated function (the hook then lives in the ``validate_params``
    wrapper's cell) or the public function (the fallback: the hook replaces it by attribute).
    Cheap when nothing can be logged: one length check, then the guards.
    """
    position, parameter_name = parameter

    @functools.wraps(original)
    def metric_hook(*args, **kwargs):
        if not len(_STATE.origins) or not post_training_logging_allowed():
            return original(*args, **kwargs)
        if len(args) > position >= 0:
            prediction = args[position]
        else:
            prediction = kwargs.get(parameter_name)
        origin = prediction_origin(prediction)
        if origin is None or not called_by_user(sys._getframe(1)):
            return original(*args, **kwargs)
        return guarded_call(
            _run_busy,
            (original, args, kwargs),
            {},
            kind=KIND,
            on_success=lambda _, value: log_post_training_metric(origin, metric_name, value),
        )

    return metric_hook


def called_by_user(frame: Any) -> bool:
    """Whether a metric, prediction or score call whose caller's frame is ``frame`` is the user's.

    Frames of scikit-learn's decorators and helpers (``sklearn/utils/``: ``validate_params``,
    positional-argument deprecation) and of scorers (``sklearn/metrics/_scorer.py``) are skipped:
    a scorer the user called counts as the user's call. The first frame beyond them must not be
    scikit-learn's, wrapt's or autolog's own code (``model.score``, displays,
    ``permutation_importance``, ``zero_one_loss`` -> ``accuracy_score`` ... are not logged; the
    predictions and scores scikit-learn computes itself, e.g. ``permutation_importance`` calling
    ``model.score``, are neither remembered nor logged).
    """
    forwarding = _forwarding_prefixes()
    while frame is not None and frame.f_code.co_filename.startswith(forwarding):
        frame = frame.f_back
    return frame is None or not frame.f_code.co_filename.startswith(_library_prefixes())


@functools.lru_cache(maxsize=None)
def _forwarding_prefixes() -> tuple[str, ...]:
    """Files whose frames stand between a caller and a metric function (see :func:`called_by_user`)."""
    import sklearn.utils
    import wrapt
    from sklearn.metrics import _scorer

    directories = tuple(os.path.dirname(module.__file__) + os.sep for module in (sklearn.utils, wrapt))
    return directories + (_scorer.__file__,)


def _run_busy(function: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    token = _BUSY.set(True)
    try:
        return function(*args, **kwargs)
    finally:
        _BUSY.reset(token)


def _patch_prediction_methods(estimator_class: type) -> None:
    """Wrap the prediction and ``score`` methods of ``estimator_class`` where they are defined."""
    patcher = _STATE.patcher
    for method_name in PREDICTION_METHODS + (SCORE_METHOD,):
        owner = _defining_class(estimator_class, method_name)
        if owner is None or patcher.is_patched(owner, method_name):
            continue
        wrapper = _score_wrapper if method_name == SCORE_METHOD else _prediction_wrapper
        patcher.wrap(owner, method_name, wrapper)


def _defining_class(cls: type, attr_name: str) -> Optional[type]:
    for klass in cls.__mro__:
        if attr_name in vars(klass):
            return klass
    return None


# -- hooks ----------------------------------------------------------------------------------


def on_fit_finished(estimator: Any, run_id: str) -> None:
    """Remember that ``estimator`` was fitted in the run ``run_id`` (called after each autologged fit).

    Parameters
    ----------
    estimator : sklearn estimator
        The fitted estimator; held weakly.
    run_id : str
        The run its fit was recorded in.
    """
    with _STATE.lock:
        if _STATE.patcher is None or not _STATE.patcher.active:
            return
        _STATE.runs_by_model.set(estimator, run_id)
        estimator_class = type(estimator)
        if estimator_class not in _STATE.patched_classes:
            _patch_prediction_methods(estimator_class)
            _STATE.patched_classes.add(estimator_class)


def post_training_logging_allowed() -> bool:
    """Whether a metric computed now may be logged (enabled, option on, not inside our own calls)."""
    return (
        is_enabled()
        and not _BUSY.get()
        and not is_suppressed()
        and not in_training_call()
        and not disabled_here()
        and get_options().log_post_training_metrics
    )


def _tracked_run(estimator: Any) -> Optional[str]:
    """The run of ``estimator`` if a prediction or score on it should be tracked now."""
    run_id = _STATE.runs_by_model.get(estimator)
    if run_id is None or not post_training_logging_allowed():
        return None
    return run_id


def _prediction_wrapper(wrapped, instance, args, kwargs):
    run_id = _tracked_run(instance)
    caller = sys._getframe(1)
    if run_id is None or not called_by_user(caller):
        return wrapped(*args, **kwargs)
    dataset = _first_argument(args, kwargs, "X")
    return guarded_call(
        _run_busy,
        (wrapped, args, kwargs),
        {},
        kind=KIND,
        before=lambda: dataset_name(run_id, dataset, caller),
        on_success=lambda name, output: _remember_output(output, run_id, name),
    )


def _score_wrapper(wrapped, instance, args, kwargs):
    run_id = _tracked_run(instance)
    caller = sys._getframe(1)
    if run_id is None or not called_by_user(caller):
        return wrapped(*args, **kwargs)
    dataset = _first_argument(args, kwargs, "X")
    metric_name = f"{type(instance).__name__}_score"
    return guarded_call(
        _run_busy,
        (wrapped, args, kwargs),
        {},
        kind=KIND,
        before=lambda: (run_id, dataset_name(run_id, dataset, caller)),
        on_success=lambda origin, value: log_post_training_metric(origin, metric_name, value),
    )


def _first_argument(args: tuple, kwargs: dict, name: str) -> Any:
    return args[0] if args else kwargs.get(name)


def _remember_output(output: Any, run_id: str, name: str) -> None:
    _STATE.origins.set(output, (run_id, name))


# -- naming and logging ---------------------------------------------------------------------


def prediction_origin(prediction: Any) -> Optional[tuple[str, str]]:
    """``(run_id, dataset name)`` of a remembered output, also through numpy views of it."""
    for _ in range(_MAX_VIEW_DEPTH):
        if prediction is None:
            return None
        origin = _STATE.origins.get(prediction)
        if origin is not None:
            return origin
        prediction = getattr(prediction, "base", None)
    return None


def dataset_name(run_id: str, dataset: Any, frame: Any) -> str:
    """The caller's variable name for ``dataset``, unique per run."""
    base_name = variable_name(dataset, user_frame(frame)) or FALLBACK_DATASET_NAME
    return _STATE.names.dataset_name(run_id, base_name, dataset)


@functools.lru_cache(maxsize=None)
def _library_prefixes() -> tuple[str, ...]:
    import sklearn
    import wrapt

    import autolog
    import autolog.integrations  # never the bare ``integrations``: it imports only from the repo root

    modules = (sklearn, wrapt, autolog, autolog.integrations)
    return tuple(os.path.dirname(module.__file__) + os.sep for module in modules)


def user_frame(frame: Any) -> Any:
    """The first frame, from ``frame`` outwards, that is not in scikit-learn, wrapt or autolog."""
    prefixes = _library_prefixes()
    while frame is not None and frame.f_code.co_filename.startswith(prefixes):
        frame = frame.f_back
    return frame


def variable_name(obj: Any, frame: Any) -> Optional[str]:
    """A name bound to ``obj`` in ``frame``'s locals, then globals; public names first.

    Notes
    -----
    Before Python 3.13, reading ``f_locals`` of a function frame makes CPython store a snapshot
    dict of its locals on the frame, refreshed on every read and freed with the frame: at most
    one generation of a function's locals stays referenced until it returns (bounded, never
    accumulating; module-level code reads globals and keeps nothing).
    """
    if frame is None or obj is None:
        return None
    namespaces = [frame.f_locals]
    if frame.f_globals is not namespaces[0]:
        namespaces.append(frame.f_globals)
    private = None
    for namespace in namespaces:
        for name, value in namespace.items():
            if value is obj and name.isidentifier():  # not pytest's ``@py_assert1``
                if not name.startswith("_"):
                    return name
                private = private or name
    return private


def log_post_training_metric(origin: tuple[str, str], metric_name: str, value: Any) -> None:
    """Log ``value`` as ``{metric_name}_{dataset}`` on the origin's run; non-scalars are skipped."""
    scalar = _as_scalar(value)
    if scalar is None:
        return
    from autolog.tracking import Client, Metric

    run_id, dataset = origin
    key = _STATE.names.metric_key(run_id, f"{metric_name}_{dataset}")
    timestamp = time.time_ns() // 1_000_000
    Client().log_batch(run_id, metrics=[Metric(key, scalar, timestamp, 0)])


def _as_scalar(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return float(value)
    if getattr(value, "ndim", 0) != 0:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
