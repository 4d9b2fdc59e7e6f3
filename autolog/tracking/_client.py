"""``autolog.Client``: the explicit tracking calls, each naming its run or experiment.

The fluent API (``autolog.start_run`` and friends) is a thin layer over this class, so every rule
(default timestamps, stringified params, heartbeats of the runs this process started) lives here.
"""

from __future__ import annotations

import functools
import getpass
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from autolog._core._entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from autolog._core._exceptions import InvalidInputError
from autolog.tracking._heartbeat import KEEPER
from autolog.tracking._model_registry import ModelRegistryCalls
from autolog.tracking._system_metrics import stop_system_metrics
from autolog.tracking._uri import get_store, resolve_artifact_root, resolve_tracking_uri

if TYPE_CHECKING:
    from autolog.store import Store

_FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}
_YAML_SUFFIXES = (".yaml", ".yml")


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every autolog time."""
    return time.time_ns() // 1_000_000


@functools.lru_cache(maxsize=1)
def _default_user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None


def _default_source() -> str | None:
    entry = sys.argv[0] if sys.argv and sys.argv[0] else None
    return os.path.abspath(entry) if entry and os.path.exists(entry) else entry


def _as_experiment_ids(experiment_ids: Any) -> list[str]:
    if experiment_ids is None:
        return []
    if isinstance(experiment_ids, (str, int)):
        return [str(experiment_ids)]
    return [str(e) for e in experiment_ids]


class Client(ModelRegistryCalls):
    """Explicit access to one store: experiments, runs, metrics, params, tags and artifacts.

    Parameters
    ----------
    tracking_uri : str, optional
        A directory, ``file:`` URI, ``sqlite:///`` or ``postgresql://`` URL; defaults to the
        URI in effect (:func:`autolog.get_tracking_uri`).
    artifact_root : str, optional
        Where artifacts of a database URI go; defaults to ``AUTOLOG_ARTIFACT_ROOT``, else the
        store's default.

    Examples
    --------
    >>> client = autolog.Client()                                     # doctest: +SKIP
    >>> run = client.create_run("0", run_name="manual")               # doctest: +SKIP
    >>> client.log_metric(run.info.run_id, "acc", 0.93, step=1)       # doctest: +SKIP
    >>> client.set_terminated(run.info.run_id)                        # doctest: +SKIP
    """

    def __init__(self, tracking_uri: str | None = None, artifact_root: str | None = None):
        self._tracking_uri = resolve_tracking_uri(tracking_uri)
        self._artifact_root = resolve_artifact_root(artifact_root)
        self._store: Store | None = None

    def __repr__(self) -> str:
        from autolog._core._redact import redact_uri

        return f"Client(tracking_uri={redact_uri(self._tracking_uri)!r})"

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this client talks to."""
        return self._tracking_uri

    @property
    def store(self) -> Store:
        """The underlying :class:`autolog.store.Store` (opened on first use, shared per URI)."""
        if self._store is None:
            self._store = get_store(self._tracking_uri, self._artifact_root)
        return self._store

    # -- experiments -------------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping | None = None
    ) -> str:
        """Create an experiment and return its id.

        Raises
        ------
        ConflictError
            If an experiment with this name exists (also a deleted one).
        """
        return self.store.create_experiment(name, artifact_location=artifact_location, tags=tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment; :class:`~autolog.exceptions.NotFoundError` if it does not exist."""
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment called ``name`` (active or deleted), or ``None``."""
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: str = ViewType.ACTIVE_ONLY,
        *,
        name_like: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Return experiments in ``view_type``, optionally whose name matches a SQL LIKE pattern."""
        return self.store.search_experiments(
            view_type=view_type, name_like=name_like, max_results=max_results
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment; :class:`~autolog.exceptions.ConflictError` if the name is taken."""
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment deleted (its runs are hidden from active searches)."""
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring a deleted experiment back."""
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set one tag on an experiment."""
        self.store.set_experiment_tag(str(experiment_id), key, str(value))

    # -- runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
        wait: bool = True,
    ) -> Run:
        """Create a RUNNING run (tags and params in the same transaction) and keep it alive.

        This process refreshes the run's heartbeat until it is terminated, so that readers can
        tell a live run from one whose process died. ``run_id`` (32 lowercase hex digits)
        creates the run under an id chosen beforehand; by default it gets a new one.
        ``wait=False`` lets a store that sends in the background (a tracking server) queue the
        creation instead of waiting for it (autologging's runs; the store reports a refusal as
        a warning); other stores create the run before returning either way.

        Returns
        -------
        Run
        """
        create = (
            self.store.create_run if wait else getattr(self.store, "create_run_nowait", self.store.create_run)
        )
        run = create(
            str(experiment_id),
            run_name=run_name,
            start_time=now_ms() if start_time is None else int(start_time),
            tags=_stringify(tags),
            params=_stringify(params),
            parent_run_id=parent_run_id,
            user_id=_default_user() if user_id is None else user_id,
            source=_default_source() if source is None else source,
            run_id=run_id,
        )
        KEEPER.add(self.store, run.info.run_id)
        return run

    def create_finished_run(
        self,
        experiment_id: str,
        *,
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        metrics: Iterable[Metric] = (),
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Write a run that already ended (tags, params, metrics, ``status``, ``end_time``) in ONE
        store transaction, all or nothing; returns its id.

        For a run known only once it is over, e.g. a tuning trial: one write instead of
        :meth:`create_run`, :meth:`log_batch` and :meth:`set_terminated`. ``end_time`` defaults to
        now, ``run_id`` to a new id.
        """
        return self.store.create_finished_run(
            str(experiment_id),
            status=status,
            end_time=now_ms() if end_time is None else int(end_time),
            run_name=run_name,
            start_time=now_ms() if start_time is None else int(start_time),
            tags=_stringify(tags),
            params=_stringify(params),
            metrics=list(metrics),
            parent_run_id=parent_run_id,
            user_id=_default_user() if user_id is None else user_id,
            source=_default_source() if source is None else source,
            run_id=run_id,
        )

    def get_run(self, run_id: str) -> Run:
        """Return the run with its params, latest metrics and tags.

        Raises
        ------
        NotFoundError
            If no run has this id.
        """
        return self.store.get_run(run_id)

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Change a run's status, end time or name; ``None`` leaves a field as it is."""
        if status is not None and status not in RunStatus.ALL:
            raise InvalidInputError(
                f"invalid run status {status!r}: expected one of {', '.join(RunStatus.ALL)}"
            )
        if status is not None and status != RunStatus.RUNNING:
            stop_system_metrics(run_id)  # no sample is written after the end
        # Setting RUNNING (resuming) also refreshes the heartbeat in the store.
        self.store.update_run(run_id, status=status, end_time=end_time, run_name=run_name)
        if status == RunStatus.RUNNING:
            KEEPER.add(self.store, run_id)
        elif status is not None:
            KEEPER.discard(run_id)

    def set_terminated(
        self, run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None
    ) -> None:
        """End a run: ``status`` is FINISHED, FAILED or KILLED; ``end_time`` defaults to now."""
        if status not in RunStatus.TERMINAL:
            raise InvalidInputError(
                f"invalid end status {status!r} for run {run_id!r}: expected one of {', '.join(RunStatus.TERMINAL)}"
            )
        self.update_run(run_id, status=status, end_time=now_ms() if end_time is None else int(end_time))

    def finish_run(
        self,
        run_id: str,
        *,
        metrics: Iterable[Metric] = (),
        tags: Iterable[RunTag] = (),
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
    ) -> None:
        """Log the last metrics and tags of a run and end it with ``status``, in ONE transaction.

        Like :meth:`log_batch` followed by :meth:`set_terminated`: an invalid item, or a status
        other than FINISHED, FAILED or KILLED, writes nothing. ``end_time`` defaults to now.
        """
        if status not in RunStatus.TERMINAL:
            raise InvalidInputError(
                f"invalid end status {status!r} for run {run_id!r}: expected one of {', '.join(RunStatus.TERMINAL)}"
            )
        stop_system_metrics(run_id)
        self.store.finish_run(
            run_id,
            metrics=list(metrics),
            tags=list(tags),
            status=status,
            end_time=now_ms() if end_time is None else int(end_time),
        )
        KEEPER.discard(run_id)

    def set_terminated_later(
        self, run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None
    ) -> None:
        """Like :meth:`set_terminated`, for when the store refused it (locked, disk full): the end is
        written as soon as the store accepts it (retried by the heartbeat thread and at exit)."""
        if status not in RunStatus.TERMINAL:
            raise InvalidInputError(f"invalid end status {status!r} for run {run_id!r}")
        KEEPER.end_later(self.store, run_id, status, now_ms() if end_time is None else int(end_time))

    def delete_run(self, run_id: str, *, force: bool = False) -> None:
        """Mark a run deleted (hidden from active searches; purged by ``autolog gc``).

        Raises
        ------
        ConflictError
            A registered model version points to the run (the message names the versions);
            ``force=True`` deletes it anyway, and ``autolog gc`` still keeps its artifacts
            while a version points to it.
        """
        self.store.delete_run(run_id, force=force)

    def restore_run(self, run_id: str) -> None:
        """Bring a deleted run back."""
        self.store.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Any,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Search runs with the filter grammar, e.g. ``"metrics.acc > 0.9 and params.C = '1'"``.

        Parameters
        ----------
        experiment_ids : str or list of str
            Experiments to search.
        filter_string : str
            Comparisons on ``metrics.*``, ``params.*``, ``tags.*``, ``attributes.*`` joined by ``and``.
        view_type : str
            :class:`ViewType` value; deleted runs are hidden by default.
        max_results : int
            Page size.
        order_by : list of str, optional
            E.g. ``["metrics.acc DESC", "attributes.start_time"]``.
        page_token : str, optional
            ``token`` of the previous page.

        Returns
        -------
        PagedList of Run
            ``.token`` fetches the next page; ``None`` on the last one.
        """
        if isinstance(order_by, str):
            order_by = [order_by]
        return self.store.search_runs(
            _as_experiment_ids(experiment_ids),
            filter_string=filter_string or "",
            view_type=view_type,
            max_results=max_results,
            order_by=list(order_by) if order_by else None,
            page_token=page_token,
        )

    # -- params, metrics, tags -----------------------------------------------------------------

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        """Log one param (stringified); returns ``value``.

        Raises
        ------
        ConflictError
            If the run already has this param with another value.
        """
        self.store.log_param(run_id, key, str(value))
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Log one metric value; ``timestamp`` defaults to now (ms), ``step`` to 0."""
        self.store.log_metric(run_id, key, value, timestamp=timestamp, step=step)

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags in ONE transaction: all of them or, on invalid input, none."""
        self.store.log_batch(run_id, metrics=list(metrics), params=list(params), tags=list(tags))

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag on a run."""
        self.store.set_tag(run_id, key, str(value))

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run; :class:`~autolog.exceptions.NotFoundError` if absent."""
        self.store.delete_tag(run_id, key)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of a metric, in (step, timestamp) order."""
        return self.store.get_metric_history(run_id, key)

    # -- artifacts -----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        """Copy a local file into the run's artifacts, under ``artifact_path`` when given."""
        self.store.artifacts(run_id).log_artifact(os.fspath(local_path), artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a local directory's content into the run's artifacts."""
        self.store.artifacts(run_id).log_artifacts(os.fspath(local_dir), artifact_path)

    def deferred_artifact_records(self, run_id: str) -> AbstractContextManager[None]:
        """A block within which the records of the run's new artifact files wait for
        :meth:`finish_run`'s transaction (on stores that batch them; see
        :meth:`autolog.store.Store.deferred_artifact_records`). Autologging writes a fit's
        files inside one."""
        return self.store.deferred_artifact_records(run_id)

    def log_text(self, run_id: str, text: str, artifact_file: str, *, wait: bool = True) -> None:
        """Write ``text`` (UTF-8) as the artifact ``artifact_file``.

        With ``wait=False`` an artifact root in object storage is written by a background thread
        (reads of the run's artifacts in this process, and its exit, wait for it); a local root
        is written at once either way.
        """
        if not isinstance(text, str):
            raise InvalidInputError(
                f"log_text expects a str for {artifact_file!r}, got {type(text).__name__}"
            )
        self.store.artifacts(run_id).write_bytes(artifact_file, text.encode("utf-8"), wait=wait)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Write ``dictionary`` as JSON, or as YAML when ``artifact_file`` ends in .yaml/.yml."""
        data = _serialize_dict(dictionary, artifact_file)
        self.store.artifacts(run_id).write_bytes(artifact_file, data)

    def log_figure(
        self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: Mapping | None = None
    ) -> None:
        """Save a matplotlib figure as the artifact ``artifact_file`` (.png, .svg, .pdf, .jpg)."""
        data = _render_figure(figure, artifact_file, save_kwargs or {})
        self.store.artifacts(run_id).write_bytes(artifact_file, data)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the run's artifacts directly under ``path`` (the root by default)."""
        return self.store.artifacts(run_id).list_artifacts(path)

    def download_artifacts(
        self,
        run_id: str,
        path: str = "",
        dst_path: str | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Copy an artifact file or directory to ``dst_path`` (a new temp dir by default).

        Files whose size and sha256 the store recorded are verified
        (:class:`~autolog.exceptions.ArtifactIntegrityError` if they differ). ``progress`` is
        called with byte counts as they arrive.

        Returns
        -------
        str
            The local path of the downloaded file or directory.
        """
        return self.store.artifacts(run_id).download_artifacts(path or "", dst_path, progress=progress)


def _metric(key: str, value: Any, timestamp: int | None, step: int | None) -> Metric:
    return Metric(
        key,
        value,
        now_ms() if timestamp is None else int(timestamp),
        0 if step is None else int(step),
    )


def _stringify(mapping: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not mapping:
        return None
    return {key: str(value) for key, value in mapping.items()}


def _serialize_dict(dictionary: Any, artifact_file: str) -> bytes:
    if artifact_file.lower().endswith(_YAML_SUFFIXES):
        try:
            import yaml
        except ImportError:
            raise InvalidInputError(
                f"cannot write {artifact_file!r} as YAML: PyYAML is not installed "
                "(pip install pyyaml, or use a .json file name)"
            ) from None
        return yaml.safe_dump(dictionary, default_flow_style=False, sort_keys=False).encode("utf-8")
    try:
        return json.dumps(dictionary, indent=2).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"cannot write {artifact_file!r} as JSON: {exc}") from None


def _render_figure(figure: Any, artifact_file: str, save_kwargs: Mapping) -> bytes:
    extension = os.path.splitext(artifact_file)[1].lower()
    image_format = _FIGURE_FORMATS.get(extension)
    if image_format is None:
        raise InvalidInputError(
            f"cannot save figure as {artifact_file!r}: use one of {', '.join(sorted(_FIGURE_FORMATS))}"
        )
    if not hasattr(figure, "savefig"):
        raise InvalidInputError(f"log_figure expects a matplotlib Figure, got {type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, **save_kwargs)
    return buffer.getvalue()
