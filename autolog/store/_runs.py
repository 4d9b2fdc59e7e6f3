"""Runs of the SQL store and logging to them: create, read, update, finish, heartbeat,
delete/restore, params/metrics/tags, metric history, and each run's artifact repository.

Creating runs and logging go through the hot path (:mod:`autolog.store._hot_path`); the rarer
writes use SQLAlchemy Core in a write transaction.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import Metric, Run, RunData, RunInfo, RunStatus
from autolog._core._exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store._artifact_locations import join_location, to_absolute
from autolog.store._artifacts import ArtifactRepository, is_local_uri, local_path_from_uri, run_anchor
from autolog.store._hot_path import latest_per_key, to_metric_rows
from autolog.store._repositories import artifact_repository
from autolog.store._sql_common import (
    ACTIVE,
    DELETED,
    SqlStoreParts,
    artifact_uri_query,
    chunks,
    key_value_pairs,
    known_run_id,
    metric_float,
    now_ms,
    run_by_id,
    runs_with_data,
    stale_before_ms,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema

_ARTIFACT_URI_CACHE_SIZE = 256


@dataclasses.dataclass(frozen=True)
class _NewRun:
    """The validated fields of a run about to be created."""

    experiment_number: int
    run_id: str
    run_name: str | None
    start_time: int
    tag_rows: list
    param_rows: list
    parent_run_id: str | None
    user_id: str | None
    source: str | None

    @classmethod
    def validated(
        cls, experiment_id, run_name, start_time, tags, params, parent_run_id, user_id, source, run_id
    ) -> _NewRun:
        """Every field checked (``InvalidInputError`` naming the first bad one); a new id if none."""
        number = _validation.experiment_id(experiment_id)
        tag_rows = _validation.tag_values(key_value_pairs(tags))
        param_rows = _validation.param_values(key_value_pairs(params))
        start = now_ms() if start_time is None else _validation.integer(start_time, "start_time")
        if parent_run_id is not None:
            _validation.run_id(parent_run_id)
        return cls(
            number,
            uuid.uuid4().hex if run_id is None else _validation.run_id(run_id),
            _validation.optional_text(run_name, "run name"),
            start,
            tag_rows,
            param_rows,
            parent_run_id,
            _validation.optional_text(user_id, "user_id"),
            _validation.optional_text(source, "source"),
        )


class RunsMixin(SqlStoreParts):
    """Run and logging methods of :class:`autolog.store.SqlStore` (uses its engines, hot-path
    statements and connections)."""

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
        run_id: str | None = None,
    ) -> Run:
        """Create a RUNNING run with its tags and params, in one transaction.

        The run records this process as its owner (host, pid) and a first heartbeat.
        """
        new = _NewRun.validated(
            experiment_id, run_name, start_time, tags, params, parent_run_id, user_id, source, run_id
        )
        info = self._write_new_run(new, RunStatus.RUNNING, None, [])
        info = dataclasses.replace(info, artifact_uri=to_absolute(info.artifact_uri, self._store_root))
        self._remember_artifact_uri(new.run_id, info.artifact_uri)
        return Run(info, RunData(params=dict(new.param_rows), metrics={}, tags=dict(new.tag_rows)))

    def create_finished_run(
        self,
        experiment_id: str,
        *,
        status: str = RunStatus.FINISHED,
        end_time: int | None = None,
        run_name: str | None = None,
        start_time: int | None = None,
        tags: Any = None,
        params: Any = None,
        metrics: Any = (),
        parent_run_id: str | None = None,
        user_id: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Write a whole ended run (tags, params, metrics, status, end time) in ONE transaction."""
        _validation.end_status(status, "a finished run")
        new = _NewRun.validated(
            experiment_id, run_name, start_time, tags, params, parent_run_id, user_id, source, run_id
        )
        end = now_ms() if end_time is None else _validation.integer(end_time, "end_time")
        self._write_new_run(new, status, end, to_metric_rows(new.run_id, metrics))
        return new.run_id

    def _write_new_run(self, new: _NewRun, status: str, end_time: int | None, metric_rows: list) -> RunInfo:
        """Insert the run with its tags, params and metrics in one write transaction."""
        self._hot_writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            location = self._location_for_new_run(cursor, new.experiment_number, new.parent_run_id)
            cursor.execute(hot.run_stage, {"run_id": new.run_id})
            if cursor.fetchone() is not None:
                raise ConflictError(f"a run with id {new.run_id!r} exists")
            info = RunInfo(
                new.run_id,
                str(new.experiment_number),
                new.run_name,
                status,
                new.start_time,
                end_time,
                new.user_id,
                new.source,
                new.parent_run_id,
                ACTIVE,
                join_location(location, new.run_id, "artifacts"),  # as stored
            )
            self._insert_run(cursor, info)
            self._write_tags(cursor, new.run_id, new.tag_rows)
            if new.param_rows:
                cursor.executemany(
                    hot.insert_param,
                    [{"run_id": new.run_id, "key": k, "value": v} for k, v in new.param_rows],
                )
            if metric_rows:
                cursor.executemany(hot.insert_metrics, metric_rows)
                cursor.executemany(hot.upsert_latest, latest_per_key(metric_rows))
        return info

    def _location_for_new_run(self, cursor, number: int, parent_run_id: str | None) -> str:
        """The artifact location of an active experiment (checks the parent run exists)."""
        cursor.execute(self._hot.experiment_stage, {"experiment_id": number})
        found = cursor.fetchone()
        if found is None:
            raise NotFoundError(f"no experiment with id '{number}'")
        stage, location = found
        if stage != ACTIVE:
            raise ConflictError(f"experiment '{number}' is deleted; restore it to add runs")
        if parent_run_id is not None:
            cursor.execute(self._hot.run_stage, {"run_id": parent_run_id})
            if cursor.fetchone() is None:
                raise NotFoundError(f"no run with id {parent_run_id!r}")
        return location

    def _insert_run(self, cursor, info: RunInfo) -> None:
        """The new run's row, owned by this process, with a first heartbeat."""
        cursor.execute(
            self._hot.insert_run,
            {
                "run_id": info.run_id,
                "experiment_id": int(info.experiment_id),
                "name": info.run_name,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "user_id": info.user_id,
                "source": info.source,
                "parent_run_id": info.parent_run_id,
                "lifecycle_stage": info.lifecycle_stage,
                "artifact_uri": info.artifact_uri,
                "owner_host": self._host,
                "owner_pid": os.getpid(),
                "heartbeat_time": now_ms(),
            },
        )

    def _write_tags(self, cursor, run_id: str, tag_rows: list[tuple[str, str]]) -> None:
        if tag_rows:
            cursor.executemany(
                self._hot.upsert_tag, [{"run_id": run_id, "key": k, "value": v} for k, v in tag_rows]
            )

    def _run_stage(self, connection, run_id: str) -> str:
        known_run_id(run_id)
        stage = connection.execute(
            sa.select(schema.runs.c.lifecycle_stage).where(schema.runs.c.run_id == run_id)
        ).scalar()
        if stage is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return stage

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics and tags; ``NotFoundError`` if unknown."""
        known_run_id(run_id)
        with self._reader().connect() as connection:
            bound = {"run_id": run_id, "stale_before": stale_before_ms()}
            rows = connection.execute(run_by_id(), bound).all()
            if not rows:
                raise NotFoundError(f"no run with id {run_id!r}")
            return runs_with_data(connection, rows, self._store_root)[0]

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
                values.update(heartbeat_time=now_ms(), owner_host=self._host, owner_pid=os.getpid())
        if end_time is not None:
            values["end_time"] = _validation.integer(end_time, "end_time")
        if run_name is not None:
            values["name"] = _validation.optional_text(run_name, "run name")
        if not values:
            self.get_run(run_id)
            return
        known_run_id(run_id)
        self._hot_writer()
        statement = self._hot.update_run(tuple(values))
        values["where_run_id"] = run_id
        long_keys = []
        with self._hot_connections.write_cursor() as cursor:
            cursor.execute(statement, values)
            if cursor.rowcount != 1:
                raise NotFoundError(f"no run with id {run_id!r}")
            if status in RunStatus.TERMINAL:
                long_keys = _long_series(cursor, self._hot, run_id)
        if long_keys:
            self._store_long_envelopes(run_id, long_keys)

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
        metric_rows = to_metric_rows(run_id, metrics)
        tag_rows = _validation.tag_values(key_value_pairs(tags))
        end = now_ms() if end_time is None else _validation.integer(end_time, "end_time")
        self._hot_writer()
        hot = self._hot
        record_rows = self._take_waiting_records(run_id)  # files written during the fit
        try:
            with self._hot_connections.write_cursor() as cursor:
                self._check_run_writable(cursor, run_id)
                if metric_rows:
                    cursor.executemany(hot.insert_metrics, metric_rows)
                    cursor.executemany(hot.upsert_latest, latest_per_key(metric_rows))
                self._write_tags(cursor, run_id, tag_rows)
                if record_rows:
                    self._upsert_artifact_records(cursor, record_rows)
                cursor.execute(
                    hot.update_run(("status", "end_time")),
                    {"status": status, "end_time": end, "where_run_id": run_id},
                )
                long_keys = _long_series(cursor, hot, run_id)
        except BaseException:
            self._put_back_waiting_records(run_id, record_rows)
            raise
        if long_keys:
            self._store_long_envelopes(run_id, long_keys)

    def heartbeat(self, run_ids: str | Iterable[str]) -> None:
        """Record that the owners of these runs are alive (unknown ids are ignored)."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        ids = [run_id for run_id in ids if type(run_id) is str and not _validation.has_unstorable(run_id)]
        if ids:  # on the hot path: a long fit's heartbeats need no SQLAlchemy either
            self._hot_writer()
            statement = self._hot.update_run(("heartbeat_time",))
            now = now_ms()
            with self._hot_connections.write_cursor() as cursor:
                cursor.executemany(
                    statement, [{"heartbeat_time": now, "where_run_id": run_id} for run_id in ids]
                )

    def delete_run(self, run_id: str, *, force: bool = False) -> None:
        """Mark a run deleted (hidden from searches; purge with :meth:`purge_deleted_runs`).

        A run that a registered model version points to is kept (``ConflictError`` naming the
        versions) unless ``force=True``; even then its artifacts stay until it is purged.
        """
        guard = None if force else (lambda c, ids: self._refuse_if_registered(c, ids, "delete the run"))
        self._update_runs([run_id], {"lifecycle_stage": DELETED}, guard=guard)

    def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again."""
        self._update_runs([run_id], {"lifecycle_stage": ACTIVE})

    def _update_runs(self, run_ids: list[str], values: dict, *, must_exist: bool = True, guard=None) -> None:
        for run_id in run_ids:
            known_run_id(run_id)
        with _engine.write_transaction(self._writer()) as connection:
            if guard is not None:
                guard(connection, run_ids)
            for chunk in chunks(run_ids):
                result = connection.execute(
                    sa.update(schema.runs).where(schema.runs.c.run_id.in_(chunk)).values(**values)
                )
                if must_exist and result.rowcount != len(chunk):
                    raise NotFoundError(f"no run with id {chunk[0]!r}")

    # --- logging -------------------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        *,
        timestamp: int | None = None,
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
            "timestamp": now_ms() if timestamp is None else _validation.integer(timestamp, "timestamp"),
            "step": 0 if step is None else _validation.integer(step, "step"),
        }
        self._hot_writer()
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
        metric_rows = to_metric_rows(run_id, metrics)
        param_rows = _validation.param_values(key_value_pairs(params))
        tag_rows = _validation.tag_values(key_value_pairs(tags))
        self._hot_writer()
        hot = self._hot
        with self._hot_connections.write_cursor() as cursor:
            self._check_run_writable(cursor, run_id)
            if param_rows:
                self._write_params(cursor, run_id, param_rows)
            if metric_rows:
                cursor.executemany(hot.insert_metrics, metric_rows)
                cursor.executemany(hot.upsert_latest, latest_per_key(metric_rows))
            self._write_tags(cursor, run_id, tag_rows)

    def _check_run_writable(self, cursor, run_id: str) -> None:
        known_run_id(run_id)
        cursor.execute(self._hot.run_stage, {"run_id": run_id})
        row = cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        if row[0] != ACTIVE:
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
                sa.delete(schema.tags).where(schema.tags.c.run_id == run_id, schema.tags.c.key == key)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"run {run_id} has no tag {key!r}")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for ``key`` on the run, ordered by step then timestamp."""
        _validation.lookup_text(key, "metric key")
        query = (
            sa.select(
                schema.metrics.c.value,
                schema.metrics.c.is_nan,
                schema.metrics.c.timestamp,
                schema.metrics.c.step,
            )
            .where(schema.metrics.c.run_id == run_id, schema.metrics.c.key == key)
            .order_by(schema.metrics.c.step, schema.metrics.c.timestamp, schema.metrics.c.id)
        )
        with self._reader().connect() as connection:
            self._run_stage(connection, run_id)
            rows = connection.execute(query).all()
        return [Metric(key, metric_float(value, is_nan), ts, step) for value, is_nan, ts, step in rows]

    # --- artifacts --------------------------------------------------------------------------------

    def artifacts(self, run_id: str) -> ArtifactRepository:
        """The artifact repository of a run (rooted at its artifact URI); ``NotFoundError`` if
        there is no such run. A run's artifact URI never changes, so it is remembered."""
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            known_run_id(run_id)
            with self._reader().connect() as connection:
                uri = connection.execute(artifact_uri_query(), {"run_id": run_id}).scalar()
            if uri is None:
                raise NotFoundError(f"no run with id {run_id!r}")
            uri = to_absolute(uri, self._store_root)
            self._remember_artifact_uri(run_id, uri)
        anchor = run_anchor(local_path_from_uri(uri), self.artifact_root) if is_local_uri(uri) else None
        return artifact_repository(uri, ledger=self._artifact_ledger(run_id), anchor=anchor)

    def _remember_artifact_uri(self, run_id: str, uri: str) -> None:
        with self._artifact_uris_lock:
            self._artifact_uris[run_id] = uri
            if len(self._artifact_uris) > _ARTIFACT_URI_CACHE_SIZE:
                del self._artifact_uris[next(iter(self._artifact_uris))]

    def _forget_artifact_uris(self, run_ids: list[str]) -> None:
        with self._artifact_uris_lock:
            for run_id in run_ids:
                self._artifact_uris.pop(run_id, None)


def _long_series(cursor, hot, run_id: str) -> list:
    """Keys of the run whose history may deserve a stored envelope (see ``HistoryMixin``)."""
    from autolog.store._history import SUMMARY_SPAN

    cursor.execute(hot.long_series, {"run_id": run_id, "span": SUMMARY_SPAN})
    return [row[0] for row in cursor.fetchall()]
