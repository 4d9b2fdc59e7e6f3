"""Pieces shared by the SQL store's modules: run columns, ids, paging limits, heartbeats."""

from __future__ import annotations

import functools
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import LifecycleStage, Run, RunData, RunInfo, RunStatus, ViewType
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.store._artifact_locations import to_absolute

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _schema as schema
    from autolog.store._hot_path import HotConnections, HotStatements
else:
    from autolog.store._lazy import sa, schema

DEFAULT_HEARTBEAT_TIMEOUT_S = 120.0
MAX_RESULTS_LIMIT = 50000
_IN_CHUNK = 500  # ids per IN (...) list, well below every database's parameter limit
ACTIVE, DELETED = LifecycleStage.ACTIVE, LifecycleStage.DELETED

# The statements below are built on first use (SQLAlchemy is imported lazily, see ``_lazy``).


@functools.cache
def effective_status():
    """What readers report as a run's status: RUNNING with a stale heartbeat is KILLED."""
    runs = schema.runs
    stale_before = sa.bindparam("stale_before", type_=sa.BigInteger)
    return sa.case(
        (sa.and_(runs.c.status == RunStatus.RUNNING, runs.c.heartbeat_time < stale_before), RunStatus.KILLED),
        else_=runs.c.status,
    ).label("effective_status")


@functools.cache
def run_columns() -> tuple:
    """The columns of a run as :func:`runs_with_data` reads them (``stale_before`` bound)."""
    runs = schema.runs
    return (
        runs.c.run_id,
        runs.c.experiment_id,
        runs.c.name,
        effective_status(),
        runs.c.start_time,
        runs.c.end_time,
        runs.c.user_id,
        runs.c.source,
        runs.c.parent_run_id,
        runs.c.lifecycle_stage,
        runs.c.artifact_uri,
    )


@functools.cache
def run_by_id():
    """One run's :func:`run_columns` (``run_id`` and ``stale_before`` bound)."""
    return sa.select(*run_columns()).where(schema.runs.c.run_id == sa.bindparam("run_id"))


@functools.cache
def artifact_uri_query():
    """The stored artifact location of one run (``run_id`` bound)."""
    return sa.select(schema.runs.c.artifact_uri).where(schema.runs.c.run_id == sa.bindparam("run_id"))


class SqlStoreParts:
    """What the mixins of :class:`autolog.store.SqlStore` use of it: its attributes (set in
    ``SqlStore.__init__``) and the helpers another part defines. The stubs come last in the
    MRO of ``SqlStore``, so the real implementations always win."""

    _hot: HotStatements  # these two are set by the first ``_hot_writer()`` or ``_writer()``
    _hot_connections: HotConnections
    _host: str
    _artifact_uris: dict[str, str]
    _artifact_uris_lock: threading.Lock
    _store_root: str | None  # the directory of a SQLite store (locations are stored relative to it)
    artifact_root: str

    def _writer(self) -> sa.Engine:
        raise NotImplementedError

    def _hot_writer(self) -> None:
        raise NotImplementedError

    def _reader(self) -> sa.Engine:
        raise NotImplementedError

    def _default_location(self, experiment_id: int) -> str:
        raise NotImplementedError

    def _run_stage(self, connection: Any, run_id: str) -> str:
        raise NotImplementedError

    def _forget_artifact_uris(self, run_ids: list[str]) -> None:
        raise NotImplementedError

    def _store_long_envelopes(self, run_id: str, keys: list) -> None:
        raise NotImplementedError

    def _refuse_if_registered(self, connection: Any, run_ids: list[str], action: str) -> None:
        raise NotImplementedError

    def _artifact_ledger(self, run_id: str) -> Any:
        raise NotImplementedError

    def _take_waiting_records(self, run_id: str) -> list[dict]:
        raise NotImplementedError

    def _put_back_waiting_records(self, run_id: str, rows: list[dict]) -> None:
        raise NotImplementedError

    def _upsert_artifact_records(self, cursor: Any, rows: list[dict]) -> None:
        raise NotImplementedError

    def get_model_version(self, name: str, version: Any) -> Any:
        raise NotImplementedError


def now_ms() -> int:
    """Now, in integer milliseconds since the epoch."""
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


def stale_before_ms() -> int:
    """Heartbeats older than this (ms) make a RUNNING run read as KILLED."""
    timeout = heartbeat_timeout_s()
    if timeout <= 0:
        return -(2**62)
    return now_ms() - int(timeout * 1000)


def known_run_id(run_id: Any) -> str:
    """``run_id`` if it could name a stored run, else ``NotFoundError`` (never a driver error)."""
    if type(run_id) is not str or _validation.has_unstorable(run_id):
        raise NotFoundError(f"no run with id {run_id!r}")
    return run_id


def key_value_pairs(items: Any) -> list[tuple[str, Any]]:
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


def metric_float(value: float | None, is_nan: bool) -> float:
    """A stored metric value as a float (NaN is stored as NULL plus a flag)."""
    return float("nan") if is_nan or value is None else value


@functools.cache
def _page_data_query():
    """Params, latest metrics and tags of a page of runs in one statement (one round trip)."""
    run_ids = sa.bindparam("run_ids", expanding=True)
    no_text, no_number = sa.cast(sa.null(), sa.Text), sa.cast(sa.null(), sa.Double)
    no_flag = sa.cast(sa.null(), sa.Boolean)

    def part(kind: int, table, text, number, is_nan):
        return sa.select(
            sa.literal(kind).label("kind"),
            table.c.run_id,
            table.c.key,
            text.label("text"),
            number.label("number"),
            is_nan.label("is_nan"),
        ).where(table.c.run_id.in_(run_ids))

    return sa.union_all(
        part(0, schema.params, schema.params.c.value, no_number, no_flag),
        part(
            1, schema.latest_metrics, no_text, schema.latest_metrics.c.value, schema.latest_metrics.c.is_nan
        ),
        part(2, schema.tags, schema.tags.c.value, no_number, no_flag),
    )


def runs_with_data(connection, rows, store_root: str | None) -> list[Run]:
    """Build runs from run rows, loading their params, latest metrics and tags in one query."""
    ids = [row[0] for row in rows]
    data: dict[str, tuple[dict, dict, dict]] = {run_id: ({}, {}, {}) for run_id in ids}
    for chunk in chunks(ids):
        for kind, run_id, key, text, number, is_nan in connection.execute(
            _page_data_query(), {"run_ids": chunk}
        ).all():
            data[run_id][kind][key] = metric_float(number, is_nan) if kind == 1 else text
    result = []
    for row in rows:
        info = RunInfo(
            row[0],
            str(row[1]),
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            to_absolute(row[10], store_root),
        )
        run_params, run_metrics, run_tags = data[row[0]]
        result.append(Run(info, RunData(params=run_params, metrics=run_metrics, tags=run_tags)))
    return result


def lifecycle_condition(column, view_type: str):
    """The WHERE condition of a ``ViewType`` on a lifecycle column; validates ``view_type``."""
    if view_type == ViewType.ACTIVE_ONLY:
        return column == ACTIVE
    if view_type == ViewType.DELETED_ONLY:
        return column == DELETED
    if view_type == ViewType.ALL:
        return sa.true()
    raise InvalidInputError(
        f"invalid view_type {view_type!r}: one of {ViewType.ACTIVE_ONLY!r}, "
        f"{ViewType.DELETED_ONLY!r}, {ViewType.ALL!r}"
    )


def check_max_results(max_results: Any) -> int:
    """``max_results`` as an int in 1..50000, else ``InvalidInputError``."""
    number = _validation.integer(max_results, "max_results")
    if not 1 <= number <= MAX_RESULTS_LIMIT:
        raise InvalidInputError(f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {number}")
    return number


def chunks(items: list, size: int = _IN_CHUNK):
    """Consecutive slices of ``items`` short enough for one ``IN (...)`` list."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
