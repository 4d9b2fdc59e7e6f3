"""``SqlStore``: experiments, runs, params, metrics and tags in SQLite or PostgreSQL."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import shutil
import socket
import threading
import time
import uuid
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy import and_, bindparam, case, or_

from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError, StoreError
from autolog._core import _validation
from autolog.store import _engine, _schema, _search
from autolog.store._artifacts import (
    ArtifactRepository, artifact_repository, is_local_uri, local_path_from_uri, make_dirs, normalize_artifact_root,
)
from autolog.store._artifact_locations import join_location, store_root_of, to_absolute, to_stored
from autolog.store._artifact_records import ArtifactRecordsMixin
from autolog.store._model_registry import ModelRegistryMixin, registered_versions_of
from autolog.store._schema import (
    experiment_tags,
    experiments,
    latest_metrics,
    metrics,
    params,
    runs,
    tags,
)
from autolog._core._entities import (
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    ViewType,
)

DEFAULT_HEARTBEAT_TIMEOUT_S = 120.0
MAX_RESULTS_LIMIT = 50000
_ARTIFACT_URI_CACHE_SIZE = 256
_IN_CHUNK = 500  # ids per IN (...) list, well below every database's parameter limit
_ACTIVE, _DELETED = LifecycleStage.ACTIVE, LifecycleStage.DELETED

_STALE_BEFORE = bindparam("stale_before", type_=sa.BigInteger)
# What readers report as the status: RUNNING with a stale heartbeat is KILLED.
EFFECTIVE_STATUS = case(
    (
        and_(runs.c.status == RunStatus.RUNNING, runs.c.heartbeat_time < _STALE_BEFORE),
        RunStatus.KILLED,
    ),
    else_=runs.c.status,
).label("effective_status")

_RUN_COLUMNS = (
    runs.c.run_id,
    runs.c.experiment_id,
    runs.c.name,
    EFFECTIVE_STATUS,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.user_id,
    runs.c.source,
    runs.c.parent_run_id,
    runs.c.lifecycle_stage,
    runs.c.artifact_uri,
)
_ATTRIBUTE_COLUMNS = {
    "status": EFFECTIVE_STATUS.element,
    "run_name": runs.c.name,
    "run_id": runs.c.run_id,
    "user_id": runs.c.user_id,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
}
_KEY_VALUE_TABLES = {_search.METRIC: latest_metrics, _search.PARAM: params, _search.TAG: tags}


def _now_ms() -> int:
    return int(time.time() * 1000)


def heartbeat_timeout_s() -> float:
    """``AUTOLOG_HEARTBEAT_TIMEOUT`` in seconds (default 120), read at call time; <= 0 disables."""
    raw = os.environ.get("AUTOLOG_HEARTBEAT_TIMEOUT")
    if not raw:
        return DEFAULT_HEARTBEAT_TIMEOUT_S
    try:
        return float(raw)
    except ValueError:
        return DEFAULT_HEARTBEAT_TIMEOUT_S


def _stale_before_ms() -> int:
    timeout = heartbeat_timeout_s()
    if timeout <= 0:
        return -(2**62)
    return _now_ms() - int(timeout * 1000)


class _HotStatements:
    """The write statements of the hot paths, compiled once for one dialect."""

    def __init__(self, dialect):
        def compiled(statement) -> str:
            return str(statement.compile(dialect=dialect))

        def values(table, *names):
            return {name: bindparam(name) for name in names}

        metric_columns = ("run_id", "key", "value", "is_nan", "timestamp", "step")
        self.run_stage = compiled(
            sa.select(runs.c.lifecycle_stage).where(runs.c.run_id == bindparam("run_id"))
        )
        self.insert_metric = compiled(sa.insert(metrics).values(values(metrics, *metric_columns)))
        # The batch insert takes positional rows (tuples in _METRIC_COLUMNS order): cheaper to
        # build and to bind than 2,000 dicts.
        placeholder = "?" if dialect.name == "sqlite" else "%s"
        quote = dialect.identifier_preparer.quote
        self.insert_metrics = (
            f"INSERT INTO {quote(metrics.name)} ({', '.join(quote(c) for c in _METRIC_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(_METRIC_COLUMNS))})"
        )
        self.upsert_latest = compiled(
            _engine.upsert(dialect, latest_metrics, ["run_id", "key"], where=_newer_metric)
            .values(values(latest_metrics, *metric_columns))
        )
        self.insert_param = compiled(
            _engine.insert_for(dialect, params)
            .values(values(params, "run_id", "key", "value"))
            .on_conflict_do_nothing()
        )
        self.run_params = compiled(
            sa.select(params.c.key, params.c.value).where(params.c.run_id == bindparam("run_id"))
        )
        self.upsert_tag = compiled(
            _engine.upsert(dialect, tags, ["run_id", "key"]).values(
                values(tags, "run_id", "key", "value")
            )
        )
        self.experiment_stage = compiled(
            sa.select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
                experiments.c.experiment_id == bindparam("experiment_id")
            )
        )
        self.insert_run = compiled(sa.insert(runs).values(values(runs, *_RUN_INSERT_COLUMNS)))
        self.artifact_uri = compiled(
            sa.select(runs.c.artifact_uri).where(runs.c.run_id == bindparam("run_id"))
        )
        self._compiled = compiled
        self._updates: dict[tuple[str, ...], str] = {}

    def update_run(self, columns: tuple[str, ...]) -> str:
        """``UPDATE runs SET <columns> WHERE run_id = :run_id``, compiled once per column set."""
        statement = self._updates.get(columns)
        if statement is None:
            statement = self._compiled(
                sa.update(runs)
                .where(runs.c.run_id == bindparam("run_id"))
                .values({name: bindparam(name) for name in columns})
            )
            self._updates[columns] = statement
        return statement


_RUN_INSERT_COLUMNS = (
    "run_id", "experiment_id", "name", "status", "start_time", "end_time", "user_id", "source",
    "parent_run_id", "lifecycle_stage", "artifact_uri", "owner_host", "owner_pid", "heartbeat_time",
)


def _newer_metric(table, excluded):
    """The latest value wins by (step, timestamp); on a tie, the later write."""
    return or_(
        excluded.step > table.c.step,
        and_(excluded.step == table.c.step, excluded.timestamp >= table.c.timestamp),
    )


class SqlStore(ArtifactRecordsMixin, ModelRegistryMixin):
    """The metadata store: one implementation for SQLite and PostgreSQL.

    Parameters
    ----------
    db_uri : str
        ``sqlite:///PATH`` or ``postgresql://...`` (psycopg 3 is used for PostgreSQL).
    artifact_root : str
        Local directory, ``file:`` URI or fsspec URL (``s3://bucket/prefix``) under which
        experiments keep their artifacts, as ``<artifact_root>/<experiment_id>/<run_id>/artifacts``.
        Locations inside a SQLite store's directory are stored relative to it, so the directory
        can be copied or moved.

    Notes
    -----
    Nothing is created until the first write: reading a SQLite store whose file does not exist
    yet sees an empty store holding only the default experiment. On first use the schema is
    created or migrated to the newest revision, serialized across processes.
    """

    def __init__(self, db_uri: str, artifact_root: str):
        self.db_uri = _engine.normalize_db_uri(db_uri)
        self.artifact_root = normalize_artifact_root(artifact_root)
        self._db_path = _engine.sqlite_path(self.db_uri)
        self._store_root = store_root_of(self._db_path)
        self._engine: sa.Engine | None = None
        self._placeholder_engine: sa.Engine | None = None
        self._hot: _HotStatements | None = None
        self._hot_connections: _engine.HotConnections | None = None
        self._ready = False
        self._init_lock = threading.Lock()
        self._host = socket.gethostname()
        self._artifact_uris: dict[str, str] = {}  # run_id -> artifact URI, oldest first
        self._artifact_uris_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqlStore({self.db_uri!r}, artifact_root={self.artifact_root!r})"

    def close(self) -> None:
        """Release pooled connections (the store can still be used afterwards)."""
        if self._hot_connections is not None:
            self._hot_connections.close_current_thread()
        for engine in (self._engine, self._placeholder_engine):
            if engine is not None:
                engine.dispose()

    # --- engines -------------------------------------------------------------------------------

    def _writer(self) -> sa.Engine:
        if self._ready:
            return self._engine
        return self._initialize()

    def _reader(self) -> sa.Engine:
        if self._ready:
            return self._engine
        if self._db_path is not None and not os.path.exists(self._db_path):
            return self._placeholder()
        return self._initialize()

    def _initialize(self) -> sa.Engine:
        with self._init_lock:
            if self._ready:
                return self._engine
            if self._db_path is not None:
                make_dirs(os.path.dirname(self._db_path))
            if self._engine is None:
                self._engine = _engine.create_engine(self.db_uri)
            try:
                if not _engine.is_at_head(self._engine):
                    _engine.upgrade_to_head(
                        self._engine, default_artifact_location=self._default_location(0)
                    )
            except sa.exc.SQLAlchemyError as exc:
                raise StoreError(f"cannot open the store at {self._safe_uri()}: {exc}") from exc
            self._hot = _HotStatements(self._engine.dialect)
            self._hot_connections = _engine.HotConnections(self._engine)
            self._ready = True
            return self._engine

    def _placeholder(self) -> sa.Engine:
        """An in-memory empty store that answers reads until the database file exists."""
        with self._init_lock:
            if self._placeholder_engine is None:
                engine = _engine.create_engine("sqlite://")
                _engine.create_schema_without_migrations(
                    engine, default_artifact_location=self._default_location(0)
                )
                self._placeholder_engine = engine
            return self._placeholder_engine

    def _safe_uri(self) -> str:
        return sa.engine.make_url(self.db_uri).render_as_string(hide_password=True)

    def _default_location(self, experiment_id: int) -> str:
        return to_stored(join_location(self.artifact_root, str(experiment_id)), self._store_root)

    # --- experiments ---------------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Any = None
    ) -> str:
        """Create an experiment and return its id.

        Raises
        ------
        ConflictError
            If an experiment (active or deleted) already has this name.
        """
        name = _validation.experiment_name(name)
        tag_rows = _validation.tag_values(_pairs(tags))
        location = (
            to_stored(normalize_artifact_root(artifact_location), self._store_root)
            if artifact_location else None
        )
        now = _now_ms()
        with _engine.write_transaction(self._writer()) as connection:
            self._check_name_free(connection, name)
            result = connection.execute(
                sa.insert(experiments).values(
                    name=name,
                    artifact_location=location or "",
                    lifecycle_stage=_ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            experiment_id = result.inserted_primary_key[0]
            if location is None:
                connection.execute(
                    sa.update(experiments)
                    .where(experiments.c.experiment_id == experiment_id)
                    .values(artifact_location=self._default_location(experiment_id))
                )
            if tag_rows:
                connection.execute(
                    sa.insert(experiment_tags),
                    [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in tag_rows],
                )
        return str(experiment_id)

    def _check_name_free(self, connection, name: str) -> None:
        taken = connection.execute(
            sa.select(experiments.c.experiment_id, experiments.c.lifecycle_stage).where(
                experiments.c.name == name
            )
        ).first()
        if taken is not None:
            state = " (deleted; restore it or pick another name)" if taken[1] == _DELETED else ""
            raise ConflictError(f"experiment name {name!r} is already used by id {taken[0]}{state}")

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; ``NotFoundError`` if there is none."""
        number = _validation.experiment_id(experiment_id)
        found = self._select_experiments(experiments.c.experiment_id == number)
        if not found:
            raise NotFoundError(f"no experiment with id {str(experiment_id)!r}")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name (even if deleted), or ``None``."""
        if type(name) is not str or _validation.has_unstorable(name):
            return None  # no stored experiment can have this name
        found = self._select_experiments(experiments.c.name == name)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: str = ViewType.ACTIVE_ONLY,
        name_like: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Experiments in id order, filtered by lifecycle and a case-insensitive LIKE pattern."""
        conditions = [_lifecycle_condition(experiments.c.lifecycle_stage, view_type)]
        if name_like is not None:
            _validation.lookup_text(name_like, "name_like pattern")
            conditions.append(experiments.c.name.ilike(name_like, escape="\\"))
        limit = None if max_results is None else _check_max_results(max_results)
        return self._select_experiments(*conditions, limit=limit)

    def _select_experiments(self, *conditions, limit: int | None = None) -> list[Experiment]:
        query = sa.select(experiments).where(*conditions).order_by(experiments.c.experiment_id)
        with self._reader().connect() as connection:
            rows = connection.execute(query.limit(limit)).all()
            ids = [row.experiment_id for row in rows]
            tag_rows = connection.execute(
                sa.select(experiment_tags).where(experiment_tags.c.experiment_id.in_(ids))
            ).all() if ids else []
        tags_by_id: dict[int, dict] = {}
        for row in tag_rows:
            tags_by_id.setdefault(row.experiment_id, {})[row.key] = row.value
        return [
            _experiment(row, tags_by_id.get(row.experiment_id, {}), self._store_root) for row in rows
        ]

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment; the new name must not be in use."""
        number = _validation.experiment_id(experiment_id)
        new_name = _validation.experiment_name(new_name)
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            current = connection.execute(
                sa.select(experiments.c.name).where(experiments.c.experiment_id == number)
            ).scalar()
            if current == new_name:
                return
            self._check_name_free(connection, new_name)
            connection.execute(
                sa.update(experiments)
                .where(experiments.c.experiment_id == number)
                .values(name=new_name, last_update_time=_now_ms())
            )

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted (its name stays reserved)."""
        number = _validation.experiment_id(experiment_id)
        if number == 0:
            raise InvalidInputError("the default experiment '0' cannot be deleted")
        self._set_experiment_stage(number, _DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Mark a deleted experiment and its runs active again."""
        self._set_experiment_stage(_validation.experiment_id(experiment_id), _ACTIVE)

    def _set_experiment_stage(self, number: int, stage: str) -> None:
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            connection.execute(
                sa.update(experiments)
                .where(experiments.c.experiment_id == number)
                .values(lifecycle_stage=stage, last_update_time=_now_ms())
            )
            connection.execute(
                sa.update(runs).where(runs.c.experiment_id == number).values(lifecycle_stage=stage)
            )

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of an experiment."""
        number = _validation.experiment_id(experiment_id)
        [(key, text)] = _validation.tag_values([(key, value)])
        with _engine.write_transaction(self._writer()) as connection:
            self._experiment_stage(connection, number)
            connection.execute(
                _engine.upsert(connection.dialect, experiment_tags, ["experiment_id", "key"]),
                {"experiment_id": number, "key": key, "value": text},
            )

    def _experiment_stage(self, connection, number: int) -> tuple[str, str]:
        row = connection.execute(
            sa.select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
                experiments.c.experiment_id == number
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no experiment with id '{number}'")
        return row[0], row[1]

    # --- runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Any = None,
        params: Any = None,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
    ) -> Run:
        """Create a RUNNING run with its tags and params, in one transaction.

        The run records this process as its owner (host, pid) and a first heartbeat.
        """
        number = _validation.experiment_id(experiment_id)
        tag_rows = _validation.tag_values(_pairs(tags))
        param_rows = _validation.param_values(_pairs(params))
        start = _now_ms() if start_time is None else _validation.integer(start_time, "start_time")
        run_name = _validation.optional_text(run_name, "run name")
        user_id = _validation.optional_text(user_id, "user_id")
        source = _validation.optional_text(source, "source")
        if parent_run_id is not None:
            _validation.run_id(parent_run_id)
        run_id = uuid.uuid4().hex
        self._writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            cursor.execute(hot.experiment_stage, {"experiment_id": number})
            found = cursor.fetchone()
            if found is None:
                raise NotFoundError(f"no experiment with id '{number}'")
            stage, location = found
            if stage != _ACTIVE:
                raise ConflictError(f"experiment '{number}' is deleted; restore it to add runs")
            if parent_run_id is not None:
                cursor.execute(hot.run_stage, {"run_id": parent_run_id})
                if cursor.fetchone() is None:
                    raise NotFoundError(f"no run with id {parent_run_id!r}")
            artifact_uri = join_location(location, run_id, "artifacts")
            cursor.execute(hot.insert_run, {
                "run_id": run_id,
                "experiment_id": number,
                "name": run_name,
                "status": RunStatus.RUNNING,
                "start_time": start,
                "end_time": None,
                "user_id": user_id,
                "source": source,
                "parent_run_id": parent_run_id,
                "lifecycle_stage": _ACTIVE,
                "artifact_uri": artifact_uri,
                "owner_host": self._host,
                "owner_pid": os.getpid(),
                "heartbeat_time": _now_ms(),
            })
            if tag_rows:
                cursor.executemany(
                    hot.upsert_tag, [{"run_id": run_id, "key": k, "value": v} for k, v in tag_rows]
                )
            if param_rows:
                cursor.executemany(
                    hot.insert_param, [{"run_id": run_id, "key": k, "value": v} for k, v in param_rows]
                )
        artifact_uri = to_absolute(artifact_uri, self._store_root)
        self._remember_artifact_uri(run_id, artifact_uri)
        info = RunInfo(
            run_id, str(number), run_name, RunStatus.RUNNING, start, None, user_id, source,
            parent_run_id, _ACTIVE, artifact_uri,
        )
        return Run(info, RunData(params=dict(param_rows), metrics={}, tags=dict(tag_rows)))

    def _run_stage(self, connection, run_id: str) -> str:
        _known_id(run_id)
        stage = connection.execute(
            sa.select(runs.c.lifecycle_stage).where(runs.c.run_id == run_id)
        ).scalar()
        if stage is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return stage

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics and tags; ``NotFoundError`` if unknown."""
        _known_id(run_id)
        with self._reader().connect() as connection:
            bound = {"run_id": run_id, "stale_before": _stale_before_ms()}
            rows = connection.execute(_RUN_BY_ID, bound).all()
            if not rows:
                raise NotFoundError(f"no run with id {run_id!r}")
            return _runs_with_data(connection, rows, self._store_root)[0]

    def update_run(
        self,
        run_id: str,
        *,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Change a run's status, end time and/or name.

        Setting ``RUNNING`` (resuming) makes this process the owner and refreshes the heartbeat.
        """
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RunStatus.ALL:
                raise InvalidInputError(f"invalid run status {status!r}: one of {RunStatus.ALL}")
            values["status"] = status
            if status == RunStatus.RUNNING:
                values.update(heartbeat_time=_now_ms(), owner_host=self._host, owner_pid=os.getpid())
        if end_time is not None:
            values["end_time"] = _validation.integer(end_time, "end_time")
        if run_name is not None:
            values["name"] = _validation.optional_text(run_name, "run name")
        if not values:
            self.get_run(run_id)
            return
        _known_id(run_id)
        self._writer()
        statement = self._hot.update_run(tuple(values))
        values["run_id"] = run_id
        with self._hot_connections.write_cursor() as cursor:
            cursor.execute(statement, values)
            if cursor.rowcount != 1:
                raise NotFoundError(f"no run with id {run_id!r}")

    def finish_run(
        self,
        run_id: str,
        *,
        metrics: Any = (),
        tags: Any = (),
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
    ) -> None:
        """Log the last metrics and tags of a run and end it, in ONE transaction.

        Validates everything first (as :meth:`log_batch`): an invalid item, or a status that is
        not terminal (FINISHED, FAILED, KILLED), writes nothing. ``end_time`` defaults to now.
        ``NotFoundError`` for an unknown run, ``ConflictError`` for a deleted one.
        """
        if status not in RunStatus.TERMINAL:
            raise InvalidInputError(
                f"invalid end status {status!r} for run {run_id!r}: one of {RunStatus.TERMINAL}"
            )
        metric_rows = _metric_rows(run_id, metrics)
        tag_rows = _validation.tag_values(_pairs(tags))
        end = _now_ms() if end_time is None else _validation.integer(end_time, "end_time")
        self._writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            self._check_run_writable(cursor, run_id)
            if metric_rows:
                cursor.executemany(hot.insert_metrics, metric_rows)
                cursor.executemany(hot.upsert_latest, _latest_per_key(metric_rows))
            if tag_rows:
                cursor.executemany(
                    hot.upsert_tag, [{"run_id": run_id, "key": k, "value": v} for k, v in tag_rows]
                )
            cursor.execute(
                hot.update_run(("status", "end_time")),
                {"status": status, "end_time": end, "run_id": run_id},
            )

    def heartbeat(self, run_ids: str | Iterable[str]) -> None:
        """Record that the owners of these runs are alive (unknown ids are ignored)."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        ids = [run_id for run_id in ids if type(run_id) is str and not _validation.has_unstorable(run_id)]
        if ids:
            self._update_runs(ids, {"heartbeat_time": _now_ms()}, must_exist=False)

    def delete_run(self, run_id: str, *, force: bool = False) -> None:
        """Mark a run deleted (hidden from searches; purge with :meth:`purge_deleted_runs`).

        A run that a registered model version points to is kept (``ConflictError`` naming the
        versions) unless ``force=True``; even then its artifacts stay until it is purged.
        """
        guard = None if force else (lambda c, ids: self._refuse_if_registered(c, ids, "delete the run"))
        self._update_runs([run_id], {"lifecycle_stage": _DELETED}, guard=guard)

    def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again."""
        self._update_runs([run_id], {"lifecycle_stage": _ACTIVE})

    def _update_runs(
        self, run_ids: list[str], values: dict, *, must_exist: bool = True, guard=None
    ) -> None:
        for run_id in run_ids:
            _known_id(run_id)
        with _engine.write_transaction(self._writer()) as connection:
            if guard is not None:
                guard(connection, run_ids)
            for chunk in _chunks(run_ids):
                result = connection.execute(
                    sa.update(runs).where(runs.c.run_id.in_(chunk)).values(**values)
                )
                if must_exist and result.rowcount != len(chunk):
                    raise NotFoundError(f"no run with id {chunk[0]!r}")

    # --- logging -------------------------------------------------------------------------------

    def log_metric(
        self, run_id: str, key: str, value: float, *, timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        """Append one metric value (NaN and +/-inf allowed) and update the run's latest value."""
        _validation.validate_key(key, "metric")
        number, is_nan = _validation.metric_value(key, value)
        row = {
            "run_id": run_id,
            "key": key,
            "value": number,
            "is_nan": is_nan,
            "timestamp": _now_ms() if timestamp is None else _validation.integer(timestamp, "timestamp"),
            "step": 0 if step is None else _validation.integer(step, "step"),
        }
        self._writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            self._check_run_writable(cursor, run_id)
            cursor.execute(hot.insert_metric, row)
            cursor.execute(hot.upsert_latest, row)

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        """Log one param; logging it again with another value raises ``ConflictError``."""
        self.log_batch(run_id, params=[(key, value)])

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set (or overwrite) one tag of a run."""
        self.log_batch(run_id, tags=[(key, value)])

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        """Log metrics, params and tags in ONE transaction, after validating all of them.

        ``metrics`` holds :class:`Metric` objects (or is a ``{key: value}`` dict); ``params`` and
        ``tags`` hold :class:`Param`/:class:`RunTag` objects, ``(key, value)`` pairs or a dict.
        Any invalid item, or a param that contradicts a stored one, writes nothing.
        """
        metric_rows = _metric_rows(run_id, metrics)
        param_rows = _validation.param_values(_pairs(params))
        tag_rows = _validation.tag_values(_pairs(tags))
        self._writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            self._check_run_writable(cursor, run_id)
            if param_rows:
                self._write_params(cursor, run_id, param_rows)
            if metric_rows:
                cursor.executemany(hot.insert_metrics, metric_rows)
                cursor.executemany(hot.upsert_latest, _latest_per_key(metric_rows))
            if tag_rows:
                cursor.executemany(
                    hot.upsert_tag, [{"run_id": run_id, "key": k, "value": v} for k, v in tag_rows]
                )

    def _check_run_writable(self, cursor, run_id: str) -> None:
        _known_id(run_id)
        cursor.execute(self._hot.run_stage, {"run_id": run_id})
        row = cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        if row[0] != _ACTIVE:
            raise ConflictError(f"run {run_id!r} is deleted; restore it before logging to it")

    def _write_params(self, cursor, run_id: str, param_rows: list[tuple[str, str]]) -> None:
        # Insert-if-absent first, then compare: race-free on both databases.
        cursor.executemany(
            self._hot.insert_param, [{"run_id": run_id, "key": k, "value": v} for k, v in param_rows]
        )
        cursor.execute(self._hot.run_params, {"run_id": run_id})
        stored = dict(cursor.fetchall())
        for key, value in param_rows:
            if stored[key] != value:
                raise ConflictError(
                    f"param {key!r} of run {run_id} is already {stored[key]!r}; params cannot "
                    f"change (tried to log {value!r})"
                )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run; ``NotFoundError`` if the run or the tag does not exist."""
        _validation.lookup_text(key, "tag key")
        with _engine.write_transaction(self._writer()) as connection:
            self._run_stage(connection, run_id)
            result = connection.execute(
                sa.delete(tags).where(tags.c.run_id == run_id, tags.c.key == key)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"run {run_id} has no tag {key!r}")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for ``key`` on the run, ordered by step then timestamp."""
        _validation.lookup_text(key, "metric key")
        query = (
            sa.select(metrics.c.value, metrics.c.is_nan, metrics.c.timestamp, metrics.c.step)
            .where(metrics.c.run_id == run_id, metrics.c.key == key)
            .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.id)
        )
        with self._reader().connect() as connection:
            self._run_stage(connection, run_id)
            rows = connection.execute(query).all()
        return [Metric(key, _float(value, is_nan), ts, step) for value, is_nan, ts, step in rows]

    # --- search --------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids,
        filter_string: str = "",
        view_type: str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs of the experiments that match the filter, ordered and paged.

        Parameters
        ----------
        experiment_ids : str or list of str
        filter_string : str
            E.g. ``"metrics.acc > 0.9 and params.C = '1.0' and attributes.status = 'FINISHED'"``.
        view_type : str
            ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results : int
            Page size, 1 to 50000.
        order_by : list of str, optional
            E.g. ``["metrics.acc DESC", "params.C"]``; runs missing a key sort last. Ties (and
            the default) order by start time, newest first, then run id.
        page_token : str, optional
            The ``token`` of the previous page.

        Returns
        -------
        PagedList of Run
            ``token`` is ``None`` on the last page.
        """
        limit = _check_max_results(max_results)
        offset = _decode_page_token(page_token)
        queries = self._search_queries(experiment_ids, filter_string, view_type, order_by)
        with self._reader().connect() as connection:
            rows = _search_rows(connection, queries, limit, offset)
            page = _runs_with_data(connection, rows[:limit], self._store_root)
        token = _encode_page_token(offset + limit) if len(rows) > limit else None
        return PagedList(page, token)

    def count_runs(
        self, experiment_ids, filter_string: str = "", view_type: str = ViewType.ACTIVE_ONLY
    ) -> int:
        """How many runs :meth:`search_runs` would return over all pages."""
        queries = self._search_queries(experiment_ids, filter_string, view_type, None)
        with self._reader().connect() as connection:
            return connection.execute(queries.count, {"stale_before": _stale_before_ms()}).scalar()

    def _search_queries(self, experiment_ids, filter_string, view_type, order_by):
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        numbers = tuple(_validation.experiment_id(item) for item in ids)
        if isinstance(order_by, str):
            order_by = [order_by]
        if filter_string is not None and not isinstance(filter_string, str):
            raise InvalidInputError(f"filter must be a string, got {type(filter_string).__name__}")
        _lifecycle_condition(runs.c.lifecycle_stage, view_type)  # validates view_type
        return _cached_search_queries(
            filter_string or "",
            tuple(order_by or ()),
            view_type,
            numbers,
            self._reader().dialect.name,
        )

    # --- purge and artifacts -------------------------------------------------------------------

    def purge_deleted_runs(
        self, run_ids: Iterable[str] | None = None, *, force: bool = False
    ) -> list[str]:
        """Permanently remove deleted runs (all of them, or the given ones) and their artifacts.

        Returns the purged run ids. A given run that is not deleted raises ``ConflictError``.
        Runs that registered model versions point to are never purged silently: given ones
        raise ``ConflictError`` naming the versions, and purging "all deleted runs" skips them,
        unless ``force=True``.
        """
        with _engine.write_transaction(self._writer()) as connection:
            targets = self._purge_targets(connection, run_ids)
            if not force:
                targets = self._without_registered(connection, targets, explicit=run_ids is not None)
            ids = [run_id for run_id, _uri in targets]
            for chunk in _chunks(ids):
                for table in (metrics, latest_metrics, params, tags, runs):
                    connection.execute(sa.delete(table).where(table.c.run_id.in_(chunk)))
        with self._artifact_uris_lock:
            for run_id in ids:
                self._artifact_uris.pop(run_id, None)
        failed = []
        for run_id, artifact_uri in targets:
            try:
                _remove_run_artifacts(run_id, to_absolute(artifact_uri, self._store_root))
            except Exception as exc:  # noqa: BLE001 - the other runs' objects still go
                failed.append(f"{run_id} ({exc})")
        if failed:
            raise StoreError(
                f"purged {len(ids)} run(s), but could not delete the artifacts of: {'; '.join(failed)}"
            )
        return ids

    def _without_registered(self, connection, targets: list, *, explicit: bool) -> list:
        ids = [run_id for run_id, _uri in targets]
        if explicit:
            self._refuse_if_registered(connection, ids, "purge the run")
            return targets
        kept = {run_id for _name, _version, run_id in registered_versions_of(connection, ids)}
        return [target for target in targets if target[0] not in kept]

    def _purge_targets(self, connection, run_ids) -> list[tuple[str, str]]:
        query = sa.select(runs.c.run_id, runs.c.artifact_uri, runs.c.lifecycle_stage)
        if run_ids is None:
            rows = connection.execute(query.where(runs.c.lifecycle_stage == _DELETED)).all()
            return [(row[0], row[1]) for row in rows]
        wanted = [run_ids] if isinstance(run_ids, str) else list(dict.fromkeys(run_ids))
        for run_id in wanted:
            _known_id(run_id)
        found = {}
        for chunk in _chunks(wanted):
            for row in connection.execute(query.where(runs.c.run_id.in_(chunk))):
                found[row[0]] = row
        for run_id in wanted:
            if run_id not in found:
                raise NotFoundError(f"no run with id {run_id!r}")
            if found[run_id][2] != _DELETED:
                raise ConflictError(f"run {run_id} is not deleted; delete it before purging")
        return [(run_id, found[run_id][1]) for run_id in wanted]

    def artifacts(self, run_id: str) -> ArtifactRepository:
        """The artifact repository of a run (rooted at its artifact URI); ``NotFoundError`` if
        there is no such run. A run's artifact URI never changes, so it is remembered."""
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            _known_id(run_id)
            with self._reader().connect() as connection:
                uri = connection.execute(_ARTIFACT_URI, {"run_id": run_id}).scalar()
            if uri is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            uri = to_absolute(uri, self._store_root)
            self._remember_artifact_uri(run_id, uri)
        return artifact_repository(uri, ledger=self.artifact_ledger(run_id))

    def _remember_artifact_uri(self, run_id: str, uri: str) -> None:
        with self._artifact_uris_lock:
            self._artifact_uris[run_id] = uri
            if len(self._artifact_uris) > _ARTIFACT_URI_CACHE_SIZE:
                del self._artifact_uris[next(iter(self._artifact_uris))]


@functools.lru_cache(maxsize=256)
def _cached_search_queries(filter_string, order_by, view_type, experiment_numbers, dialect_name):
    # Statements are cached whole (values included): building them costs more than running them.
    return _search.build_search_queries(
        _search.parse_filter(filter_string),
        _search.parse_order_by(list(order_by)),
        columns=_RUN_COLUMNS,
        base_conditions=[
            runs.c.experiment_id.in_(experiment_numbers),
            _lifecycle_condition(runs.c.lifecycle_stage, view_type),
        ],
        runs=runs,
        key_value_tables=_KEY_VALUE_TABLES,
        attribute_column=_ATTRIBUTE_COLUMNS.__getitem__,
        nullable_attributes=("end_time", "run_name", "user_id"),
        dialect_name=dialect_name,
    )


_WINDOW_MIN_ENTRIES = 1000
_WINDOW_FACTOR = 10  # index entries scanned per wanted row, for filters matching 1 in 10
_WINDOW_GROWTH = 4  # a window that yields less than a page is retried this many times larger
_WINDOW_MAX_ENTRIES = 65536  # ... while it spans at most this many index entries


def _search_rows(connection, queries, limit: int, offset: int) -> list:
    """Up to ``limit + 1`` rows from ``offset``; tries bounded index windows first.

    The window scans the order index and stops at the page, so a larger window only costs more
    when the filter is selective: it grows geometrically (the failed scans cost at most a third
    of the last one) until it yields a page, covers the whole index, or passes the cap.
    """
    parameters = {"stale_before": _stale_before_ms()}
    wanted = offset + limit + 1
    if queries.window is not None:
        budget = max(_WINDOW_MIN_ENTRIES, _WINDOW_FACTOR * wanted)
        window = queries.window.limit(limit + 1).offset(offset)
        while True:
            boundary = connection.execute(queries.boundary, {"boundary_offset": budget}).scalar()
            if boundary is None:
                break  # the index holds fewer entries: runs without the key may be needed
            rows = connection.execute(window, {**parameters, "window_boundary": boundary}).all()
            if len(rows) > limit:
                return rows
            if budget >= _WINDOW_MAX_ENTRIES:
                break
            budget = min(budget * _WINDOW_GROWTH, max(_WINDOW_MAX_ENTRIES, wanted))
    return connection.execute(queries.full.limit(limit + 1).offset(offset), parameters).all()


# --- helpers -----------------------------------------------------------------------------------


def _known_id(run_id: Any) -> str:
    """``run_id`` if it could name a stored run, else ``NotFoundError`` (never a driver error)."""
    if type(run_id) is not str or _validation.has_unstorable(run_id):
        raise NotFoundError(f"no run with id {run_id!r}")
    return run_id


def _pairs(items: Any) -> list[tuple[str, Any]]:
    """``(key, value)`` pairs from a dict, Param/RunTag-like objects or pairs."""
    if not items:
        return []
    if isinstance(items, dict):
        return list(items.items())
    pairs = []
    for item in items:
        if hasattr(item, "key") and hasattr(item, "value"):
            pairs.append((item.key, item.value))
        else:
            try:
                key, value = item
            except (TypeError, ValueError):
                raise InvalidInputError(f"expected a (key, value) pair, got {item!r}") from None
            pairs.append((key, value))
    return pairs


_INT64_MAX = 2**63 - 1


def _metric_rows(run_id: str, items: Any) -> list[tuple]:
    """Validated ``(run_id, key, value, is_nan, timestamp, step)`` rows (``_METRIC_COLUMNS``).

    Each distinct key is validated once per call; the common value types (float, int) take a
    fast path; anything else goes through the full checks, with the same errors.
    """
    if not items:
        return []
    now = _now_ms()
    if isinstance(items, dict):
        items = [Metric(key, value, now, 0) for key, value in items.items()]
    rows = []
    append = rows.append
    valid_keys: set[str] = set()
    validate_key, metric_value, integer = (
        _validation.validate_key, _validation.metric_value, _validation.integer,
    )
    low, high = -_INT64_MAX, _INT64_MAX
    for item in items:
        try:
            key = item.key
            value = item.value
        except AttributeError:
            raise InvalidInputError(
                f"expected a Metric(key, value, timestamp, step), got {item!r}"
            ) from None
        if type(key) is not str or key not in valid_keys:
            valid_keys.add(validate_key(key, "metric"))
        if type(value) is float:
            if value != value:  # NaN
                number, is_nan = None, True
            else:
                number, is_nan = value, False
        else:
            number, is_nan = metric_value(key, value)
        timestamp = getattr(item, "timestamp", None)
        if timestamp is None:
            timestamp = now
        elif type(timestamp) is not int or not low <= timestamp <= high:
            timestamp = integer(timestamp, f"timestamp of {key!r}")
        step = getattr(item, "step", None)
        if step is None:
            step = 0
        elif type(step) is not int or not low <= step <= high:
            step = integer(step, f"step of {key!r}")
        append((run_id, key, number, is_nan, timestamp, step))
    return rows


_METRIC_COLUMNS = ("run_id", "key", "value", "is_nan", "timestamp", "step")


def _latest_per_key(rows: list[tuple]) -> list[dict]:
    """The row with the greatest (step, timestamp) per key; a later row wins a tie (as dicts)."""
    latest: dict[str, tuple] = {}
    get = latest.get
    for row in rows:
        best = get(row[1])
        if best is None or (row[5], row[4]) >= (best[5], best[4]):
            latest[row[1]] = row
    return [dict(zip(_METRIC_COLUMNS, row)) for row in latest.values()]


def _float(value: float | None, is_nan: bool) -> float:
    return float("nan") if is_nan or value is None else value


def _experiment(row, tag_values: dict, store_root: str | None) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=to_absolute(row.artifact_location, store_root),
        lifecycle_stage=row.lifecycle_stage,
        tags=tag_values,
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
    )


def _page_data_query():
    """Params, latest metrics and tags of a page of runs in one statement (one round trip)."""
    run_ids = bindparam("run_ids", expanding=True)
    no_text, no_number = sa.cast(sa.null(), sa.Text), sa.cast(sa.null(), sa.Double)
    no_flag = sa.cast(sa.null(), sa.Boolean)

    def part(kind: int, table, text, number, is_nan):
        return sa.select(
            sa.literal(kind).label("kind"), table.c.run_id, table.c.key,
            text.label("text"), number.label("number"), is_nan.label("is_nan"),
        ).where(table.c.run_id.in_(run_ids))

    return sa.union_all(
        part(0, params, params.c.value, no_number, no_flag),
        part(1, latest_metrics, no_text, latest_metrics.c.value, latest_metrics.c.is_nan),
        part(2, tags, tags.c.value, no_number, no_flag),
    )


_PAGE_DATA = _page_data_query()
_RUN_BY_ID = sa.select(*_RUN_COLUMNS).where(runs.c.run_id == bindparam("run_id"))
_ARTIFACT_URI = sa.select(runs.c.artifact_uri).where(runs.c.run_id == bindparam("run_id"))


def _runs_with_data(connection, rows, store_root: str | None) -> list[Run]:
    """Build runs from run rows, loading their params, latest metrics and tags in one query."""
    ids = [row[0] for row in rows]
    data = {run_id: ({}, {}, {}) for run_id in ids}
    for chunk in _chunks(ids):
        for kind, run_id, key, text, number, is_nan in connection.execute(
            _PAGE_DATA, {"run_ids": chunk}
        ).all():
            data[run_id][kind][key] = _float(number, is_nan) if kind == 1 else text
    result = []
    for row in rows:
        info = RunInfo(
            row[0], str(row[1]), row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
            to_absolute(row[10], store_root),
        )
        run_params, run_metrics, run_tags = data[row[0]]
        result.append(Run(info, RunData(params=run_params, metrics=run_metrics, tags=run_tags)))
    return result


def _lifecycle_condition(column, view_type: str):
    if view_type == ViewType.ACTIVE_ONLY:
        return column == _ACTIVE
    if view_type == ViewType.DELETED_ONLY:
        return column == _DELETED
    if view_type == ViewType.ALL:
        return sa.true()
    raise InvalidInputError(
        f"invalid view_type {view_type!r}: one of {ViewType.ACTIVE_ONLY!r}, "
        f"{ViewType.DELETED_ONLY!r}, {ViewType.ALL!r}"
    )


def _check_max_results(max_results: Any) -> int:
    number = _validation.integer(max_results, "max_results")
    if not 1 <= number <= MAX_RESULTS_LIMIT:
        raise InvalidInputError(f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {number}")
    return number


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_page_token(token: str | None) -> int:
    if token is None or token == "":
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = decoded["offset"]
    except (AttributeError, binascii.Error, ValueError, TypeError, KeyError, UnicodeError):
        raise InvalidInputError(f"invalid page_token {token!r}") from None
    if type(offset) is not int or offset < 0:
        raise InvalidInputError(f"invalid page_token {token!r}")
    return offset


def _chunks(items: list, size: int = _IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _remove_run_artifacts(run_id: str, artifact_uri: str) -> None:
    if not is_local_uri(artifact_uri):
        artifact_repository(artifact_uri).delete_all()  # object storage: the run's keys
        return
    path = local_path_from_uri(artifact_uri)
    # <location>/<run_id>/artifacts: remove the run's directory, never anything above it.
    parent = os.path.dirname(path)
    target = parent if os.path.basename(path) == "artifacts" and os.path.basename(parent) == run_id else path
    if os.path.isdir(target) and not os.path.islink(target):
        shutil.rmtree(target, ignore_errors=True)
