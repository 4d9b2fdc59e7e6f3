"""The MLflow-familiar module-level API: ``start_run``, ``log_metric``, ``search_runs`` ...

Each thread has its own stack of active runs (a run started in one thread is not active in
another); the active experiment is process-wide. Every call goes through :class:`Client`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from autolog._core._entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog._core._process import PROCESS, StatePart
from autolog.tracking._client import Client, _metric, now_ms
from autolog.tracking._system_metrics import start_system_metrics, system_metrics_wanted
from autolog.tracking._uri import get_tracking_uri, resolve_artifact_root

EXPERIMENT_NAME_ENV = "AUTOLOG_EXPERIMENT_NAME"
EXPERIMENT_ID_ENV = "AUTOLOG_EXPERIMENT_ID"
DEFAULT_EXPERIMENT_ID = "0"
_SEARCH_PAGE_SIZE = 1000


class ActiveRun(Run):
    """A run started by :func:`start_run`; use it as a context manager to end it.

    Leaving the ``with`` block normally ends the run FINISHED, by an exception FAILED, by
    ``KeyboardInterrupt`` KILLED. ``info`` and ``data`` are a snapshot taken at start; call
    :func:`get_run` for fresh data.
    """

    _client: Client  # set in __init__ (not a dataclass field)

    def __init__(self, run: Run, client: Client):
        super().__init__(run.info, run.data)
        # Run is a frozen dataclass; the client stays attached so that logging goes to the store
        # the run lives in even if the tracking URI changes meanwhile.
        object.__setattr__(self, "_client", client)

    @property
    def client(self) -> Client:
        """The :class:`Client` of the store this run lives in."""
        return self._client

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if exc_type is None:
            _end_from_stack(self, RunStatus.FINISHED)
            return False
        try:
            _end_from_stack(self, _status_for_exception(exc_type))
        except Exception as end_error:  # never replace the user's exception with ours
            warnings.warn(
                f"autolog: could not end run {self.info.run_id}: {end_error}", RuntimeWarning, stacklevel=2
            )
        return False

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id!r}, experiment_id={self.info.experiment_id!r}>"


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[ActiveRun] = []
        self.last_run_id: str | None = None
        self.last_client: Client | None = None


class _FluentState(StatePart):
    """The fluent API's state: run stacks per thread, the active experiment, clients, open runs."""

    def __init__(self) -> None:
        self.thread = _ThreadState()
        self.active_experiment_id: str | None = None
        self.clients: dict = {}
        self.clients_lock = threading.Lock()
        # Runs started by start_run and not yet ended, across all threads: what atexit ends.
        self.open_runs: dict[str, tuple[ActiveRun, int]] = {}
        self.open_runs_lock = threading.Lock()

    def reset(self) -> None:
        """End every run this thread left open, then forget everything."""
        while self.thread.stack:
            try:
                end_run()
            except Exception:
                self.thread.stack.pop()
        _FluentState.__init__(self)


_state = PROCESS.part("tracking.fluent", _FluentState)


def _status_for_exception(exc_type) -> str:
    if exc_type is None:
        return RunStatus.FINISHED
    if issubclass(exc_type, KeyboardInterrupt):
        return RunStatus.KILLED
    return RunStatus.FAILED


def current_client() -> Client:
    """The (cached) :class:`Client` of the tracking URI in effect; for layers above tracking."""
    key = (get_tracking_uri(), resolve_artifact_root())
    client = _state.clients.get(key)
    if client is None:
        with _state.clients_lock:
            client = _state.clients.setdefault(key, Client(*key))
    return client


_current_client = current_client  # older private name, still used by autolog.engine


# -- experiments ------------------------------------------------------------------------------


def set_experiment(
    name: str | None = None,
    experiment_id: str | None = None,
    *,
    experiment_name: str | None = None,
) -> Experiment:
    """Make an experiment the active one for new runs of this process, creating it if missing.

    Parameters
    ----------
    name : str, optional
        Experiment name; created when it does not exist. ``experiment_name`` is an alias.
    experiment_id : str, optional
        Id of an existing experiment (instead of ``name``).

    Returns
    -------
    Experiment

    Raises
    ------
    InvalidInputError
        If neither or both of name and id are given.
    NotFoundError
        If ``experiment_id`` does not exist.
    ConflictError
        If the experiment is deleted (restore it first).
    """
    name = name if name is not None else experiment_name
    if (name is None) == (experiment_id is None):
        raise InvalidInputError("set_experiment needs exactly one of name or experiment_id")
    client = current_client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    else:
        assert name is not None  # exactly one of name and experiment_id is set
        experiment = _get_or_create_experiment(client, name)
    if experiment.lifecycle_stage == LifecycleStage.DELETED:
        raise ConflictError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
            "restore it (autolog experiments restore) or choose another name"
        )
    _state.active_experiment_id = experiment.experiment_id
    return experiment


def _get_or_create_experiment(client: Client, name: str) -> Experiment:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment
    try:
        return client.get_experiment(client.create_experiment(name))
    except ConflictError:  # another process created it between our read and our write
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id (:class:`NotFoundError` if missing)."""
    return current_client().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    """Return an experiment by name, or ``None``."""
    return current_client().get_experiment_by_name(name)


def create_experiment(name: str, artifact_location: str | None = None, tags: Mapping | None = None) -> str:
    """Create an experiment and return its id."""
    return current_client().create_experiment(name, artifact_location=artifact_location, tags=tags)


def resolve_experiment_id(client: Client | None = None, experiment_id: str | None = None) -> str:
    """The experiment a new run goes to: ``experiment_id``, else :func:`set_experiment`'s, else
    ``AUTOLOG_EXPERIMENT_NAME`` (created if missing) / ``AUTOLOG_EXPERIMENT_ID``, else ``"0"``."""
    client = client or current_client()
    if experiment_id is not None:
        return str(experiment_id)
    if _state.active_experiment_id is not None:
        return _state.active_experiment_id
    if os.environ.get(EXPERIMENT_NAME_ENV):
        return _get_or_create_experiment(client, os.environ[EXPERIMENT_NAME_ENV]).experiment_id
    return os.environ.get(EXPERIMENT_ID_ENV) or DEFAULT_EXPERIMENT_ID


_resolve_experiment_id = resolve_experiment_id  # older private name, still used by autolog.engine


# -- run lifecycle ----------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    parent_run_id: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume one) and make it this thread's active run.

    Parameters
    ----------
    run_id : str, optional
        Resume this existing run: it becomes RUNNING again.
    experiment_id : str, optional
        Defaults to the experiment of :func:`set_experiment`, else ``AUTOLOG_EXPERIMENT_NAME`` /
        ``AUTOLOG_EXPERIMENT_ID``, else the default experiment ``"0"``.
    run_name : str, optional
    nested : bool
        Required to start a run while another is active in this thread; the new run becomes
        its child.
    tags : dict, optional
        Tags set at creation, in the same transaction.
    parent_run_id : str, optional
        Explicit parent (default: the active run when ``nested=True``).
    log_system_metrics : bool, optional
        Sample CPU, memory, disk, network and GPU metrics into the run while it is active
        (``system/...``, see ``docs/distributed.md``). Default: ``autolog(log_system_metrics=...)``,
        else ``AUTOLOG_SYSTEM_METRICS=1``.

    Returns
    -------
    ActiveRun
        A context manager: FINISHED on normal exit, FAILED on exception, KILLED on
        ``KeyboardInterrupt``.

    Raises
    ------
    ConflictError
        If a run is active in this thread and ``nested`` is false, or the resumed run is
        deleted or already active here.
    """
    stack = _state.thread.stack
    if stack and not nested:
        raise ConflictError(
            f"run {stack[-1].info.run_id!r} is already active in this thread; end it with "
            "autolog.end_run() first, or pass nested=True to start a child run"
        )
    client = current_client()
    if run_id is not None:
        run = _resume_run(client, run_id, run_name=run_name, tags=tags)
    else:
        if stack and parent_run_id is None:
            _ensure_stored(stack[-1])
        parent = parent_run_id or (stack[-1].info.run_id if stack else None)
        run = client.create_run(
            resolve_experiment_id(client, experiment_id),
            run_name=run_name,
            tags={**_context_tags(), **(tags or {})},  # the user's tags win
            parent_run_id=parent,
        )
    active = ActiveRun(run, client)
    stack.append(active)
    PROCESS.at_exit(_end_open_runs_at_exit)
    with _state.open_runs_lock:
        _state.open_runs[run.info.run_id] = (active, os.getpid())
    if system_metrics_wanted(log_system_metrics):
        start_system_metrics(client, run.info.run_id)
    return active


def _ensure_stored(active: ActiveRun) -> None:
    """Have a run that an integration activated before writing it (a tuning trial, see
    ``run_activated``) written now, before a child run names it as its parent."""
    ensure = getattr(type(active._client), "ensure_run_stored", None)
    if ensure is not None:
        ensure(active._client)


def _context_tags() -> dict[str, str]:
    """The source/user/git tags autologged runs get, for manual runs too (empty if unavailable)."""
    from autolog.context import collect_run_context

    try:
        return collect_run_context()
    except Exception:
        return {}


def _resume_run(client: Client, run_id: str, *, run_name: str | None, tags: Mapping | None) -> Run:
    if any(entry.info.run_id == run_id for entry in _state.thread.stack):
        raise ConflictError(f"run {run_id!r} is already active in this thread")
    run = client.get_run(run_id)
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise ConflictError(f"run {run_id!r} is deleted; restore it before resuming it")
    client.update_run(run_id, status=RunStatus.RUNNING, run_name=run_name)
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])
    return client.get_run(run_id)


@contextlib.contextmanager
def run_activated(run: Run, client: Client) -> Iterator[ActiveRun]:
    """Make an existing run this thread's active run for a block, without ending it after.

    For integrations that own a run's lifecycle (an Optuna trial, a Ray Tune trial) and let the
    user's code inside log into it: ``log_metric`` and autologged fits in the block see it as
    the active run. The caller ends the run. ``client`` may be a stand-in that writes a run not
    yet in the store on first use; ``start_run(nested=True)`` calls its ``ensure_run_stored()``
    before creating a child.
    """
    active = ActiveRun(run, client)
    stack = _state.thread.stack
    stack.append(active)
    try:
        yield active
    finally:
        index = next((i for i, entry in enumerate(stack) if entry is active), None)
        if index is not None:  # end_run() inside the block already removed it
            del stack[index]


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End this thread's active run (no-op without one) with ``status`` (default FINISHED)."""
    stack = _state.thread.stack
    if stack:
        _end_from_stack(stack[-1], status)


def _end_from_stack(active: ActiveRun, status: str) -> None:
    """End ``active`` and any child still above it on this thread's stack."""
    stack = _state.thread.stack
    index = next((i for i, entry in enumerate(stack) if entry is active), None)
    if index is None:  # already ended, e.g. by end_run() inside the with-block
        return
    while len(stack) > index:
        _terminate(stack.pop(), status)


def _terminate(active: ActiveRun, status: str) -> None:
    run_id = active.info.run_id
    with _state.open_runs_lock:
        _state.open_runs.pop(run_id, None)
    _state.thread.last_run_id = run_id
    _state.thread.last_client = active._client
    active._client.set_terminated(run_id, status)


def active_run() -> ActiveRun | None:
    """This thread's active run, or ``None``."""
    stack = _state.thread.stack
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run of this thread, else the run it ended last (fetched fresh), else ``None``."""
    stack = _state.thread.stack
    if stack:
        return stack[-1]._client.get_run(stack[-1].info.run_id)
    if _state.thread.last_run_id is None or _state.thread.last_client is None:
        return None
    return _state.thread.last_client.get_run(_state.thread.last_run_id)


def set_last_active_run(run_id: str, client: Client | None = None) -> None:
    """Make ``run_id`` what :func:`last_active_run` returns in this thread (for the engine's
    managed runs, which are not on the stack)."""
    _state.thread.last_run_id = run_id
    _state.thread.last_client = client or current_client()


def get_run(run_id: str) -> Run:
    """Return a run by id (:class:`NotFoundError` if missing)."""
    return current_client().get_run(run_id)


def _target(run_id: str | None) -> tuple[Client, str]:
    """The client and run id a logging call writes to; starts a run when none is active."""
    if run_id is not None:
        return current_client(), run_id
    stack = _state.thread.stack
    if not stack:
        start_run()  # as MLflow does: logging without a run starts one (ended at exit)
    active = stack[-1]
    return active._client, active.info.run_id


# -- params, metrics, tags --------------------------------------------------------------------


def log_param(key: str, value: Any, *, run_id: str | None = None) -> Any:
    """Log a param on the active run (or ``run_id``); returns ``value``."""
    client, target = _target(run_id)
    return client.log_param(target, key, value)


def log_params(params: Mapping[str, Any], *, run_id: str | None = None) -> None:
    """Log several params in one transaction."""
    client, target = _target(run_id)
    client.log_batch(target, params=[Param(key, str(value)) for key, value in params.items()])


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    *,
    run_id: str | None = None,
) -> None:
    """Log a metric value; ``step`` defaults to 0, ``timestamp`` to now (ms). NaN/inf allowed."""
    client, target = _target(run_id)
    client.log_metric(target, key, value, timestamp=timestamp, step=step)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    *,
    run_id: str | None = None,
) -> None:
    """Log several metrics in one transaction, with the same step and timestamp."""
    client, target = _target(run_id)
    if timestamp is None:
        timestamp = now_ms()
    client.log_batch(target, metrics=[_metric(key, value, timestamp, step) for key, value in metrics.items()])


def set_tag(key: str, value: Any, *, run_id: str | None = None) -> None:
    """Set a tag on the active run (or ``run_id``)."""
    client, target = _target(run_id)
    client.set_tag(target, key, value)


def set_tags(tags: Mapping[str, Any], *, run_id: str | None = None) -> None:
    """Set several tags in one transaction."""
    client, target = _target(run_id)
    client.log_batch(target, tags=[RunTag(key, str(value)) for key, value in tags.items()])


def delete_tag(key: str, *, run_id: str | None = None) -> None:
    """Remove a tag from the active run (or ``run_id``)."""
    client, target = _target(run_id)
    client.delete_tag(target, key)


# -- artifacts --------------------------------------------------------------------------------


def log_artifact(local_path: str, artifact_path: str | None = None, *, run_id: str | None = None) -> None:
    """Copy a local file into the active run's artifacts."""
    client, target = _target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(local_dir: str, artifact_path: str | None = None, *, run_id: str | None = None) -> None:
    """Copy a local directory's content into the active run's artifacts."""
    client, target = _target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, *, run_id: str | None = None) -> None:
    """Write text as an artifact file, e.g. ``log_text(report, "report.txt")``."""
    client, target = _target(run_id)
    client.log_text(target, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, *, run_id: str | None = None) -> None:
    """Write a dict as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml (needs PyYAML)."""
    client, target = _target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Mapping | None = None, run_id: str | None = None
) -> None:
    """Save a matplotlib figure as an artifact; the format follows the extension (.png, .svg ...)."""
    client, target = _target(run_id)
    client.log_figure(target, figure, artifact_file, save_kwargs=save_kwargs)


def list_artifacts(path: str | None = None, *, run_id: str | None = None) -> list[FileInfo]:
    """List artifacts of the active run (or ``run_id``) directly under ``path``.

    ``list_artifacts(run_id)`` (MLflow's client argument order) lists that run's root: a first
    argument that is a run id of this store, with no ``run_id=``, is taken as the run.
    """
    if run_id is None and path is not None and _is_run_id(path):
        client = current_client()
        if _run_known(client, path):
            return client.list_artifacts(path, None)
    client, target = _existing_target(run_id)
    return client.list_artifacts(target, path)


def _is_run_id(text: str) -> bool:
    return len(text) == 32 and all(character in "0123456789abcdef" for character in text)


def _run_known(client: Client, run_id: str) -> bool:
    try:
        client.get_run(run_id)
    except NotFoundError:
        return False
    return True


def download_artifacts(
    artifact_path: str = "", dst_path: str | None = None, *, run_id: str | None = None
) -> str:
    """Download an artifact file or directory of the active run (or ``run_id``); returns its local path."""
    client, target = _existing_target(run_id)
    return client.download_artifacts(target, artifact_path, dst_path)


def _existing_target(run_id: str | None) -> tuple[Client, str]:
    """Like :func:`_target`, but reading calls never start a run."""
    if run_id is not None:
        return current_client(), run_id
    stack = _state.thread.stack
    if stack:
        return stack[-1]._client, stack[-1].info.run_id
    if _state.thread.last_run_id is not None and _state.thread.last_client is not None:
        return _state.thread.last_client, _state.thread.last_run_id
    raise InvalidInputError("no active run in this thread: pass run_id=")


# -- search -----------------------------------------------------------------------------------


def search_runs(
    experiment_ids: str | Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: str = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    *,
    experiment_names: Sequence[str] | None = None,
):
    """Search runs; a pandas DataFrame by default, or a list of :class:`Run`.

    Parameters
    ----------
    experiment_ids : str or list of str, optional
        Defaults to the active experiment (or ``experiment_names`` when given).
    filter_string : str
        E.g. ``"metrics.acc > 0.9 and params.C = '1.0' and attributes.status = 'FINISHED'"``.
    run_view_type : str
        :class:`ViewType` value.
    max_results : int
        Upper bound on the number of runs returned.
    order_by : list of str, optional
        E.g. ``["metrics.acc DESC"]``.
    output_format : {"pandas", "list"}
        ``"pandas"`` falls back to a list when pandas is not installed.
    experiment_names : list of str, optional
        Experiments to search by name (unknown names are ignored).

    Returns
    -------
    pandas.DataFrame or list of Run
        DataFrame columns: ``run_id, experiment_id, status, start_time, end_time, run_name,
        artifact_uri, parent_run_id`` (None for a top-level run), then ``params.*``, ``metrics.*``, ``tags.*``.
    """
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"invalid output_format {output_format!r}: expected 'pandas' or 'list'")
    client = current_client()
    ids = _search_experiment_ids(client, experiment_ids, experiment_names)
    runs = _collect_runs(client, ids, filter_string, run_view_type, max_results, order_by)
    if output_format == "list":
        return runs
    try:
        from autolog.tracking._frame import runs_to_frame
    except ImportError:  # pandas missing: the documented fallback
        return runs
    return runs_to_frame(runs)


def _search_experiment_ids(client: Client, experiment_ids, experiment_names) -> list[str]:
    if experiment_ids is not None:
        return (
            [str(experiment_ids)]
            if isinstance(experiment_ids, (str, int))
            else [str(e) for e in experiment_ids]
        )
    if experiment_names is not None:
        experiments = (client.get_experiment_by_name(name) for name in experiment_names)
        return [e.experiment_id for e in experiments if e is not None]
    return [resolve_experiment_id(client, None)]


def _collect_runs(client, experiment_ids, filter_string, view_type, max_results, order_by) -> list[Run]:
    runs: list[Run] = []
    token = None
    while len(runs) < max_results:
        page = client.search_runs(
            experiment_ids,
            filter_string,
            view_type=view_type,
            max_results=min(_SEARCH_PAGE_SIZE, max_results - len(runs)),
            order_by=order_by,
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if token is None or not page:
            break
    return runs


# -- process exit -----------------------------------------------------------------------------


def _exit_status() -> str:
    """FINISHED, unless the interpreter is exiting because of an unhandled exception."""
    if hasattr(sys, "ps1"):  # interactive: sys.last_* belongs to an earlier, handled prompt error
        return RunStatus.FINISHED
    last = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if last is None:
        return RunStatus.FINISHED
    return RunStatus.KILLED if isinstance(last, KeyboardInterrupt) else RunStatus.FAILED


def _end_open_runs_at_exit() -> None:
    """End the runs this process started and left open: FINISHED (KILLED/FAILED on a crash)."""
    status = _exit_status()
    with _state.open_runs_lock:
        leftovers = [active for active, pid in _state.open_runs.values() if pid == os.getpid()]
        _state.open_runs.clear()
    for active in reversed(leftovers):  # children before parents
        try:
            active._client.set_terminated(active.info.run_id, status)
        except Exception as exc:  # the interpreter is going away: report, never raise
            print(f"autolog: could not end run {active.info.run_id}: {exc}", file=sys.stderr)
