"""The autologging engine: framework-agnostic patching, safety contract and run lifecycle.

Nothing here imports a training framework (nor wrapt, until something is patched; nor
``importlib.metadata``, whose import alone costs more than the rest of ``autolog()``: entry points
and versions are read from ``sys.path`` by ``_entry_points``, checked equal to importlib's).

User-facing
-----------
``autolog(**options)``
    Enable (or reconfigure, or with ``disable=True`` remove) every integration. Re-exported as
    ``autolog.autolog``. ``autolog.disabled()`` (also ``autolog.autolog.disabled()``) suspends
    autologging for a block, per thread and per async task.
``AutologOptions`` / ``get_options()`` / ``is_enabled()``
    The options in effect: one frozen dataclass (``get_options().log_models`` ...).
``integration_setting(identifier, name, default)`` / ``set_integration_setting(...)``
    Options of one integration (e.g. Lightning's ``configure(log_every_n_step=...)``), held with
    the other options and reset by every ``autolog()`` call.

For integrations
----------------
``Integration``
    Base class: ``identifier``, ``module`` (import name that triggers it), ``distribution``,
    ``min_version``/``max_version`` (inclusive window), ``patch(patcher)``. Registered through
    the entry-point group ``autolog.integrations`` (``ENTRY_POINT_GROUP``).
``Patcher``
    ``wrap(owner, attr_name, wrapper) -> bool`` installs a wrapt ``FunctionWrapper`` (wrapper
    signature ``wrapper(wrapped, instance, args, kwargs)``), never wraps twice, and ``restore()``
    puts back exactly what ``owner.__dict__`` held (deleting patches of inherited attributes).
    ``when_imported(module_name, callback)`` runs ``callback(module)`` now or after that import
    (one meta-path finder of our own chains the loader of watched names only), withdrawn on
    restore. ``is_patched(owner, attr_name)``. ``is_autolog_wrapper(obj)``.
    ``replace(owner, attr_name, obj)`` sets any object with the same bookkeeping.
    ``replace_cell(function, cell_name, replacement, expected=...) -> bool`` swaps what one
    closure cell of ``function`` holds (only if it holds ``expected``), leaving the function
    object itself untouched, so references taken before patching see the change too;
    ``restore()`` puts the very same object back. ``is_cell_replaced(function, cell_name)``.
``run_training_call(original, args, kwargs, make_recorder) -> result``
    THE path for a training method: when autologging is active and the call is outermost,
    marks "inside a training call", builds the ``TrainingRecorder``, opens the run
    (``open_run``), calls ``original`` exactly once outside any try of ours, then logs results and
    ends the run FINISHED (FAILED / KILLED when the call raised; the exception propagates
    unchanged). Inner training calls, calls under ``disabled()`` or ``suppressed()`` just run.
    ``make_recorder=None`` marks the call as training without recording (excluded estimators).
``TrainingRecorder``
    Subclass per integration: ``kind``, ``run_spec() -> RunSpec | None``,
    ``log_results(run, result)``, ``after_run(run, result)``, and two optional hooks:
    ``on_run_started(run)``, right after the run opened and before the user's call (e.g. hand
    the run to a framework callback so a long training writes its curves while it runs), and
    ``on_failure(run, error)``, when the user's call raised, BEFORE the run (managed or the
    user's) is ended FAILED/KILLED: write what was collected so far (partial metric history,
    params known only inside the call), so a diverged or interrupted training keeps its curves.
    Each hook runs under ``attempt`` (a failure is one warning, strict mode re-raises); the run is
    ended even when ``on_failure`` fails, and the user's exception propagates as the same object
    with its traceback. A ``KeyboardInterrupt`` during ``on_failure`` ends the run KILLED.
``RunSpec(name=None, params={}, tags={})``
    What a run starts with (one transaction with the run; the engine adds ``autolog.version``
    and ``extra_tags``).
``RunHandle``
    ``run_id``, ``managed``, ``client``, ``experiment_id``; ``log_metrics(dict, step=0)`` (one
    batch, non-numbers dropped), ``log_metric_history(key, values)`` (step = index, one batch),
    ``log_params_and_tags(params, tags)``, ``log_text(text, artifact_file)``,
    ``set_tags(dict)``, ``create_child_runs([(RunSpec, metrics), ...]) -> [run_id]``,
    ``end(status)`` (writes what is pending; terminates only a managed run). During
    ``log_results`` the handle is ``deferring``: ``log_metrics``/``set_tags`` are collected and
    go out with ``end`` (one ``client.finish_run`` transaction where the client offers it, else
    one batch + ``set_terminated``); ``flush()`` writes them earlier.
``FitRecorder``
    The recorder base shared by every integration (``_recorder.py``): ``framework``, ``flavor``,
    ``serialization_format``, ``unsaveable_errors``; ``common_tags()`` (framework, estimator,
    run context, dataset, registered model), ``input_example()`` (``first_rows(X)``),
    ``log_model(run, model)`` (warns once on a model that cannot be saved, then registers it),
    ``log_git_diff(run)``.
``stable_params(estimator)`` / ``stable_repr(value)`` / ``qualified_name(obj)``
    Address-free, deterministic param strings (``_params.py``), the same text for the same
    configuration in every integration.
``bound_arguments(f, args, kwargs)`` / ``argument_value(...)`` / ``with_argument(...)``
    A training call's arguments by name, through one signature cache (``_arguments.py``).
``register_autologged_model(run, artifact_path="model")``
    Call right after a model artifact is written: with ``registered_model_name`` set, registers
    it as the next version of that model (failures go through the safety contract).
``open_run(spec) -> RunHandle | None``
    Managed run, the user's active run (a child of it if an autologged fit already used it),
    or None with ``exclusive=True``. ``status_for_exception(exc)``, ``finite_metrics(dict)``.
``with_engine_tags(tags)``
    ``tags`` plus the tags every autologged run carries (autolog's version, ``extra_tags``), for
    runs an integration writes itself (trial runs).
``nest_fits_under(run_id, nest=True)``
    Autologged fits inside that (active) run become its child runs (trial runs of Optuna/Ray).
``autologging_active()``
    True when a training call starting now would record (enabled, not disabled here, not
    suppressed, not inside a training call).

Re-entrancy and suppression (context variables)
-----------------------------------------------
``in_training_call()`` / ``training_call()``: the "inside a training call" flag.
``carry_training_flag(func)`` / ``InTrainingCall(func)``: a picklable callable that runs
``func`` with the flag set; wrap tasks dispatched to thread pools during a training call.
``is_suppressed()`` / ``suppressed()``: autolog's own calls (e.g. ``predict`` for training
metrics); patched methods must neither log nor record inside. ``disabled_here()``.

Safety contract (``_contract.py``)
----------------------------------
``guarded_call(original, args, kwargs, *, kind, before=None, on_success=None, on_error=None)``
for wrappers that are not training calls (e.g. metric functions). ``attempt(kind, fn, *a, **k)
-> (ok, value)`` runs our code under suppression and reports failures.
``report_internal_error(kind, exc)``: re-raises under ``AUTOLOG_STRICT=1`` (``strict_mode()``),
else ONE ``AutologWarning`` per (kind, exception type) per process. ``warn_once(kind, message)``.
"""

from autolog.engine._api import autolog
from autolog.engine._arguments import argument_value, bound_arguments, with_argument
from autolog.engine._contract import (
    AutologWarning,
    attempt,
    guarded_call,
    report_internal_error,
    strict_mode,
    warn_once,
)
from autolog.engine._evaluate import evaluate
from autolog.engine._flags import (
    InTrainingCall,
    carry_training_flag,
    disabled,
    disabled_here,
    in_training_call,
    is_suppressed,
    suppressed,
    training_call,
)
from autolog.engine._integration import ENTRY_POINT_GROUP, Integration, discover_integrations
from autolog.engine._options import SERIALIZATION_FORMATS, AutologOptions, build_options
from autolog.engine._params import qualified_name, stable_params, stable_repr, storable_keys
from autolog.engine._patcher import Patcher, is_autolog_wrapper
from autolog.engine._recorder import FitRecorder, first_rows
from autolog.engine._registration import register_autologged_model
from autolog.engine._runs import (
    RunHandle,
    RunSpec,
    finite_metrics,
    nest_fits_under,
    open_run,
    status_for_exception,
    with_engine_tags,
)
from autolog.engine._state import get_options, integration_setting, is_enabled, set_integration_setting
from autolog.engine._training import TrainingRecorder, autologging_active, run_training_call

__all__ = [
    "ENTRY_POINT_GROUP",
    "SERIALIZATION_FORMATS",
    "AutologOptions",
    "AutologWarning",
    "FitRecorder",
    "InTrainingCall",
    "Integration",
    "Patcher",
    "RunHandle",
    "RunSpec",
    "TrainingRecorder",
    "argument_value",
    "attempt",
    "autolog",
    "autologging_active",
    "bound_arguments",
    "build_options",
    "carry_training_flag",
    "disabled",
    "disabled_here",
    "discover_integrations",
    "evaluate",
    "finite_metrics",
    "first_rows",
    "get_options",
    "guarded_call",
    "in_training_call",
    "integration_setting",
    "is_autolog_wrapper",
    "is_enabled",
    "is_suppressed",
    "nest_fits_under",
    "open_run",
    "qualified_name",
    "register_autologged_model",
    "report_internal_error",
    "run_training_call",
    "set_integration_setting",
    "stable_params",
    "stable_repr",
    "status_for_exception",
    "storable_keys",
    "strict_mode",
    "suppressed",
    "training_call",
    "warn_once",
    "with_argument",
    "with_engine_tags",
]
