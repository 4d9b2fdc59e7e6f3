"""``Store``: what every metadata store promises to the layers above it.

The tracking layer, the engine, the models, the CLI and the UI talk to a store only through
these methods; nothing above ``autolog.store`` sees SQL or a database connection. ``SqlStore``
(SQLite and PostgreSQL) implements it; a client of a tracking server implements the same
contract, and ``tests/store`` runs one suite against every implementation.

Shared rules of every method:

- Ids are strings: experiment ids are decimal integers (``"0"`` is the default experiment
  "Default", which always exists), run ids are 32-character lowercase hex. An id that cannot
  name anything stored (wrong type, unstorable characters) is reported like a missing one.
- Times are integer milliseconds since the epoch; ``None`` means "now" where a time is optional.
- Bad input raises :class:`~autolog.exceptions.InvalidInputError` naming the problem, before
  anything is written: a call either writes everything it was given or nothing.
- A missing experiment, run, model, version, tag or alias raises
  :class:`~autolog.exceptions.NotFoundError`; a write that contradicts stored state (a name in
  use, a param re-logged with another value, logging to a deleted run) raises
  :class:`~autolog.exceptions.ConflictError`. A store that cannot be reached raises
  :class:`~autolog.exceptions.StoreError`.
- A RUNNING run whose heartbeat is older than ``AUTOLOG_HEARTBEAT_TIMEOUT`` seconds (default
  120) is reported as KILLED by every read, filters on ``attributes.status`` included.
- Params and tags may be given as a ``{key: value}`` dict, :class:`Param` / :class:`RunTag`
  objects or ``(key, value)`` pairs; metrics as :class:`Metric` objects or a ``{key: value}``
  dict (timestamp now, step 0). Param values are stored as text truncated at 6000 characters,
  tag values at 8000 (with one ``UserWarning``); metric values are floats, NaN and +/-inf kept.
- One store object may be used from several threads at once (the heartbeat thread, the UI's
  concurrent page and count queries); it stays usable in a forked child.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Union

from autolog._core._entities import (
    Experiment,
    ExperimentKeys,
    Metric,
    ModelRecord,
    ModelVersion,
    PagedList,
    Param,
    RegisteredModel,
    Run,
    RunStatus,
    RunTag,
    SeriesSample,
    ViewType,
)

if TYPE_CHECKING:
    from autolog.store._artifacts import ArtifactRepository

KeyValues = Union[Mapping[str, Any], Iterable[Union[Param, RunTag, "tuple[str, Any]"]], None]
"""Params or tags: a dict, Param/RunTag objects or ``(key, value)`` pairs."""
Metrics = Union[Mapping[str, float], Iterable[Metric]]
"""Metrics: Metric objects, or a ``{key: value}`` dict logged now at step 0."""
ExperimentIds = Union[str, Iterable[str]]


class Store(abc.ABC):
    """The metadata store of experiments, runs, their data and the model registry.

    See the module docstring for the rules every method follows (ids, times, errors).
    """

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections and other resources; the store stays usable afterwards."""

    # --- experiments ---------------------------------------------------------------------------

    @abc.abstractmethod
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: KeyValues = None
    ) -> str:
        """Create an active experiment and return its id.

        ``artifact_location`` defaults to ``<artifact_root>/<experiment_id>``.

        Raises
        ------
        InvalidInputError
            Bad name, location or tag.
        ConflictError
            An experiment (active or deleted) already has this name.
        """

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id, with its tags.

        Raises
        ------
        InvalidInputError
            ``experiment_id`` is not a decimal integer.
        NotFoundError
            No such experiment.
        """

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this exact name (active or deleted), or ``None``; never raises
        for a name that no experiment could have."""

    @abc.abstractmethod
    def search_experiments(
        self,
        view_type: str = ViewType.ACTIVE_ONLY,
        name_like: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Experiments in id order.

        Parameters
        ----------
        view_type : str
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        name_like : str, optional
            Case-insensitive LIKE pattern on the name (``%`` and ``_``; ``\\`` escapes).
        max_results : int, optional
            At most this many (1 to 50000); all by default.

        Raises
        ------
        InvalidInputError
            Unknown ``view_type``, bad pattern or ``max_results``.
        """

    @abc.abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment (renaming to its own name does nothing).

        Raises
        ------
        NotFoundError
            No such experiment.
        ConflictError
            Another experiment has ``new_name``.
        """

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted; its name stays reserved.

        Raises
        ------
        InvalidInputError
            The default experiment ``"0"``.
        NotFoundError
            No such experiment.
        """

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None:
        """Mark a deleted experiment and its runs active again; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of an experiment; ``NotFoundError`` if unknown."""

    # --- runs ----------------------------------------------------------------------------------

    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: KeyValues = None,
        params: KeyValues = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
    ) -> Run:
        """Create a RUNNING run with its tags and params, all or nothing.

        The run gets a new id (or ``run_id``, 32 lowercase hex digits, when an importer keeps
        the id a run had elsewhere), the artifact URI ``<experiment location>/<run_id>/artifacts``, a
        first heartbeat, and records the calling process as its owner.

        Returns
        -------
        Run
            The run as stored (no metrics yet).

        Raises
        ------
        NotFoundError
            No such experiment, or no run ``parent_run_id``.
        ConflictError
            The experiment is deleted, or a run with ``run_id`` exists.
        """

    @abc.abstractmethod
    def create_finished_run(
        self,
        experiment_id: str,
        *,
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: KeyValues = None,
        params: KeyValues = None,
        metrics: Metrics = (),
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Write a whole run that already ended, in ONE transaction, all or nothing.

        The same as :meth:`create_run` followed by :meth:`finish_run` with ``params`` too, for
        writers that know a run only once it is over (a tuning trial, a search's candidate):
        tags, params, metrics (history included) and the terminal ``status`` with ``end_time``
        (default now). Validation comes first, as in :meth:`log_batch`.

        Returns
        -------
        str
            The run's id (``run_id`` when given).

        Raises
        ------
        InvalidInputError
            A status that is not terminal (FINISHED, FAILED, KILLED), or an invalid item.
        NotFoundError
            No such experiment, or no run ``parent_run_id``.
        ConflictError
            The experiment is deleted, or a run with ``run_id`` exists.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metric values and tags (deleted runs too).

        Raises
        ------
        NotFoundError
            No such run.
        """

    @abc.abstractmethod
    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Change a run's status, end time and/or name (only what is given).

        Setting ``RUNNING`` (resuming) makes the caller the owner and refreshes the heartbeat.

        Raises
        ------
        InvalidInputError
            A status not in ``RunStatus.ALL``, a bad time or name.
        NotFoundError
            No such run.
        """

    @abc.abstractmethod
    def finish_run(
        self,
        run_id: str,
        *,
        metrics: Metrics = (),
        tags: KeyValues = (),
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
    ) -> None:
        """Log the last metrics and tags of a run and end it, in ONE transaction.

        ``end_time`` defaults to now. Validation comes first, as in :meth:`log_batch`.

        Raises
        ------
        InvalidInputError
            A status that is not terminal (FINISHED, FAILED, KILLED), or an invalid item.
        NotFoundError
            No such run.
        ConflictError
            The run is deleted.
        """

    @abc.abstractmethod
    def deferred_artifact_records(self, run_id: str) -> AbstractContextManager[None]:
        """A block (in this thread) within which the records of the run's new artifact files may
        wait for :meth:`finish_run` and be written in its transaction; they are written at the
        latest when the block ends. Files are written at once either way; lookups of the run's
        records see the waiting ones."""

    @abc.abstractmethod
    def heartbeat(self, run_ids: str | Iterable[str]) -> None:
        """Record that the owners of these runs are alive; unknown ids are ignored."""

    @abc.abstractmethod
    def delete_run(self, run_id: str, *, force: bool = False) -> None:
        """Mark a run deleted: hidden from searches until restored, removed by a purge.

        Raises
        ------
        NotFoundError
            No such run.
        ConflictError
            Registered model versions point to the run (the message names them), unless
            ``force=True``.
        """

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again; ``NotFoundError`` if unknown."""

    # --- logging -------------------------------------------------------------------------------

    @abc.abstractmethod
    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        *,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Append one metric value (step 0 and now by default) and update the run's latest
        value of ``key`` (the greatest (step, timestamp); a later write wins a tie).

        Raises
        ------
        InvalidInputError
            Bad key, a value that is not a number, a bad step or timestamp.
        NotFoundError
            No such run.
        ConflictError
            The run is deleted.
        """

    @abc.abstractmethod
    def log_param(self, run_id: str, key: str, value: Any) -> None:
        """Log one param (stored as text).

        Raises
        ------
        NotFoundError
            No such run.
        ConflictError
            The run is deleted, or the param is stored with another value (params never change;
            logging the same value again is fine).
        """

    @abc.abstractmethod
    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a run; errors as :meth:`log_param` (tags may change)."""

    @abc.abstractmethod
    def log_batch(
        self, run_id: str, metrics: Metrics = (), params: KeyValues = (), tags: KeyValues = ()
    ) -> None:
        """Log metrics, params and tags in ONE transaction, after validating all of them.

        Any invalid item, or a param that contradicts a stored one, writes nothing. Errors as
        :meth:`log_metric` and :meth:`log_param`.
        """

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove one tag of a run.

        Raises
        ------
        NotFoundError
            No such run, or the run has no tag ``key``.
        """

    @abc.abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for ``key`` on the run, ordered by step, then timestamp, then
        write order; an empty list for a key never logged. ``NotFoundError`` if no such run."""

    # --- search and counting -------------------------------------------------------------------

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: ExperimentIds,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs of the experiments that match the filter, ordered and paged.

        Parameters
        ----------
        experiment_ids : str or iterable of str
        filter_string : str
            The search grammar, e.g. ``"metrics.acc > 0.9 and params.C = '1.0' and
            tags.x LIKE 'a%' and attributes.status = 'FINISHED'"``.
        view_type : str
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results : int
            Page size, 1 to 50000.
        order_by : list of str, optional
            E.g. ``["metrics.acc DESC", "params.C"]``; runs missing a key sort last. Ties (and
            the default) order by start time, newest first, then run id.
        page_token : str, optional
            The ``token`` of the previous page (opaque).

        Returns
        -------
        PagedList of Run
            Runs as :meth:`get_run` returns them; ``token`` is ``None`` on the last page.

        Raises
        ------
        InvalidInputError
            A bad filter or order (the message points at the offending position), experiment
            id, view type, page size or page token.
        """

    @abc.abstractmethod
    def count_runs(
        self,
        experiment_ids: ExperimentIds,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs :meth:`search_runs` would return over all pages (same errors)."""

    # --- purge and artifacts -------------------------------------------------------------------

    @abc.abstractmethod
    def purge_deleted_runs(self, run_ids: Iterable[str] | None = None, *, force: bool = False) -> list[str]:
        """Permanently remove deleted runs (all of them, or the given ones) with their data and
        artifacts, and return the purged run ids.

        Purging "all deleted runs" skips runs that registered model versions point to, unless
        ``force=True``.

        Raises
        ------
        NotFoundError
            A given run does not exist.
        ConflictError
            A given run is not deleted, or (without ``force``) registered versions point to it.
        """

    @abc.abstractmethod
    def artifacts(self, run_id: str) -> ArtifactRepository:
        """The artifact repository of a run, rooted at its artifact URI.

        Raises
        ------
        NotFoundError
            No such run (a purged run included).
        """

    # --- reads for charts, wide tables and live pages --------------------------------------------

    @abc.abstractmethod
    def get_runs(self, run_ids: Iterable[str]) -> list[Run]:
        """Several runs (params, latest metrics and tags) in the order given, in a few queries.

        Raises
        ------
        NotFoundError
            Naming the first id that is not a stored run.
        """

    @abc.abstractmethod
    def find_run_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Ids of runs starting with ``prefix`` (hex digits), at most ``limit`` of them."""

    @abc.abstractmethod
    def sample_metric_histories(
        self,
        run_ids: Iterable[str],
        key: str,
        *,
        max_points: int = 2000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list[SeriesSample]:
        """One metric of up to 1000 runs, each series down-sampled to at most ``max_points``.

        A bucket of steps keeps its minimum and maximum, so spikes survive. Runs without ``key``
        are left out; the rest come in the order of ``run_ids``. ``min_step``/``max_step`` bound
        the visible range (inclusive). ``InvalidInputError`` for a bad key, range or point count.
        """

    @abc.abstractmethod
    def metric_step_ranges(self, run_id: str) -> dict[str, tuple[int, int]]:
        """``{key: (first_step, last_step)}`` of every metric of a run."""

    @abc.abstractmethod
    def metric_histories_since(
        self, run_id: str, cursors: dict, *, limit: int = 20000
    ) -> dict[str, SeriesSample]:
        """The points of a run logged after each series' cursor (``{key: (step, id)}`` or None).

        A point is new when its step is greater than the cursor's, or equal with a greater id.
        At most ``limit`` points per series per call; only series with new points are returned.
        """

    @abc.abstractmethod
    def latest_metrics_since(self, run_ids: Iterable[str], since_ms: int) -> dict[str, dict[str, float]]:
        """``{run_id: {key: value}}`` of latest metric values written after ``since_ms``."""

    @abc.abstractmethod
    def experiment_keys(self, experiment_ids: Iterable[str], *, contains: str = "") -> ExperimentKeys:
        """Every metric and param key of the experiments' active runs, optionally filtered."""

    # --- model records (what was logged or registered, checked by load_model) ----------------

    @abc.abstractmethod
    def record_logged_model(self, run_id: str, artifact_path: str, record: ModelRecord) -> None:
        """Record the flavor, format, file and sha256 of the model at ``runs:/<run_id>/<path>``.

        Raises
        ------
        NotFoundError
            No run with this id.
        ConflictError
            A model is already recorded there (a record is never replaced).
        InvalidInputError
            A bad field in ``record``; nothing is written.
        """

    @abc.abstractmethod
    def get_model_record(self, run_id: str, artifact_path: str) -> ModelRecord | None:
        """The record of the model at ``runs:/<run_id>/<artifact_path>``; None when there is none."""

    @abc.abstractmethod
    def record_model_version(self, name: str, version: Any, record: ModelRecord) -> None:
        """Record a registered version's model files (once; ``ConflictError`` if recorded already)."""

    @abc.abstractmethod
    def get_model_version_record(self, name: str, version: Any) -> ModelRecord | None:
        """The record of a registered version's model files; None when there is none."""

    # --- model registry: registered models -----------------------------------------------------

    @abc.abstractmethod
    def create_registered_model(
        self, name: str, tags: KeyValues = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model and return it.

        Raises
        ------
        InvalidInputError
            Bad name (1-256 letters, digits, ``_ - .`` and inner spaces), tag or description.
        ConflictError
            A model with this name exists.
        """

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def search_registered_models(
        self,
        filter_string: str = "",
        *,
        name_like: str | None = None,
        max_results: int = 1000,
    ) -> list[RegisteredModel]:
        """Registered models in name order.

        Parameters
        ----------
        filter_string : str
            Comparisons joined by ``and``: ``name`` or ``tags.<key>`` with ``= != LIKE ILIKE``.
        name_like : str, optional
            Case-insensitive LIKE pattern on the name.
        max_results : int
            1 to 50000.

        Raises
        ------
        InvalidInputError
            A bad filter or ``max_results``.
        """

    @abc.abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (versions, tags and aliases follow) and return it.

        Raises
        ------
        NotFoundError
            No model ``name``.
        ConflictError
            A model named ``new_name`` exists.
        """

    @abc.abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description and return the model; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases (the runs stay);
        ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a model; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove one tag of a model; ``NotFoundError`` if no such model or tag."""

    # --- model registry: versions --------------------------------------------------------------

    @abc.abstractmethod
    def create_model_version(
        self,
        name: str,
        *,
        run_id: str,
        artifact_path: str,
        tags: KeyValues = None,
        description: str | None = None,
    ) -> ModelVersion:
        """Register ``runs:/<run_id>/<artifact_path>`` as the next version of ``name`` (created
        when missing) and return it.

        Version numbers of one model are 1, 2, 3, ... without gaps or duplicates, even under
        concurrent registration; a deleted version's number is never reused. The store does not
        check that the path holds a model (the caller does).

        Raises
        ------
        NotFoundError
            No such run.
        ConflictError
            The run is deleted.
        """

    @abc.abstractmethod
    def get_model_version(self, name: str, version: Any) -> ModelVersion:
        """One version; ``NotFoundError`` naming the model and version if it does not exist."""

    @abc.abstractmethod
    def get_latest_model_version(self, name: str) -> ModelVersion:
        """The version with the highest number; ``NotFoundError`` if no model or no version."""

    @abc.abstractmethod
    def search_model_versions(
        self,
        name: str | None = None,
        *,
        run_ids: Iterable[str] | None = None,
        max_results: int = 1000,
    ) -> list[ModelVersion]:
        """Versions of one model (or of all), optionally only those made from ``run_ids``,
        ordered by model name, then newest version first."""

    @abc.abstractmethod
    def update_model_version(self, name: str, version: Any, description: str | None) -> ModelVersion:
        """Set a version's description and return the version; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def delete_model_version(self, name: str, version: Any) -> None:
        """Delete one version with its tags and the aliases pointing at it; ``NotFoundError``
        if unknown."""

    @abc.abstractmethod
    def set_model_version_tag(self, name: str, version: Any, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a version; ``NotFoundError`` if unknown."""

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        """Remove one tag of a version; ``NotFoundError`` if no such version or tag."""

    # --- model registry: aliases ---------------------------------------------------------------

    @abc.abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        """Point ``alias`` at ``version``, moving it if it pointed elsewhere.

        Raises
        ------
        InvalidInputError
            A bad alias (letters, digits, ``_ -``; not numeric-only, not ``latest``).
        NotFoundError
            No such model or version.
        """

    @abc.abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; ``NotFoundError`` if no such model or alias."""

    @abc.abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``NotFoundError`` if no such model or alias."""
