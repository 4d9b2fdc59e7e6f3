"""Reads behind the UI's charts and wide tables: batched, down-sampled and incremental.

Composed into :class:`~autolog.store._sql_store.SqlStore` as :class:`HistoryMixin`.

- :meth:`HistoryMixin.sample_metric_histories`: one metric of many runs in one call, each series
  down-sampled to at most ``max_points`` (min/max per step bucket, so spikes survive) over an
  optional step range; runs without the metric are simply absent.
- Series much longer than a chart is wide (``LARGE_SPAN`` steps) keep an envelope per (run, key):
  min/max over power-of-two step buckets, built by one SQL scan, stored in ``metric_envelopes``
  (when the run ends, or when first charted) so that every later process reads ~8,000 rows instead
  of scanning the series, and extended incrementally from a cursor, so a 1,000,000-step chart is
  served from memory. The stored envelope is a cache: points logged after its cursor are read on
  top of it, and it is rebuilt from ``metrics`` when missing.
- :meth:`HistoryMixin.metric_histories_since`: the points logged after a cursor ``(step, id)``
  per series, for live charts (an index range read, never a whole history).
- :meth:`HistoryMixin.experiment_keys`: every param and metric key of some experiments, with
  what the runs table needs to pick default columns.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from autolog._core import _validation
from autolog._core._entities import ExperimentKeys, SeriesSample
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.store._sql_common import (
    SqlStoreParts,
    known_run_id,
    run_columns,
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

MAX_POINTS_LIMIT = 20000
DEFAULT_MAX_POINTS = 2000
LARGE_SPAN = 100_000  # series spanning more steps than this are served from the envelope cache
FINE_BUCKETS = 8192  # envelope resolution (buckets over the whole series)
ENVELOPE_CACHE_SIZE = 64
RESTORE_AFTER = 50_000  # points read on top of a stored envelope before it is stored again
SUMMARY_SPAN = 400  # shorter series of an ended run get a coarse stored envelope above this span
SUMMARY_BUCKETS = 64  # ... of about this many buckets (compare charts of many runs read those)
SINCE_LIMIT = 20000  # points per series per live poll
MAX_BATCH_RUNS = 1000
_IN_CHUNK = 500


class HistoryMixin(SqlStoreParts):
    """Batched and down-sampled history reads (see the module docstring)."""

    # --- runs by id ---------------------------------------------------------------------------

    def get_runs(self, run_ids: Iterable[str]) -> list:
        """Several runs (with params, latest metrics and tags) in a few queries, in the given order.

        Raises
        ------
        NotFoundError
            Naming the first id that is not a stored run.
        """
        ids = list(dict.fromkeys(known_run_id(r) for r in run_ids))
        rows = {}
        with self._reader().connect() as connection:
            for chunk in _chunks(ids):
                query = sa.select(*run_columns()).where(schema.runs.c.run_id.in_(chunk))
                for row in connection.execute(query, {"stale_before": stale_before_ms()}):
                    rows[row[0]] = row
            missing = [r for r in ids if r not in rows]
            if missing:
                raise NotFoundError(f"no run with id {missing[0]!r}")
            return runs_with_data(connection, [rows[r] for r in ids], self._store_root)

    def find_run_ids(self, prefix: str, *, limit: int = 2) -> list:
        """Ids of runs starting with ``prefix`` (hex digits), at most ``limit`` of them."""
        prefix = (prefix or "").strip().lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix) or len(prefix) > 32:
            return []
        upper = prefix + "g"  # every id with the prefix sorts between prefix and prefix + "g"
        query = (
            sa.select(schema.runs.c.run_id)
            .where(schema.runs.c.run_id >= prefix, schema.runs.c.run_id < upper)
            .order_by(schema.runs.c.run_id)
            .limit(limit)
        )
        with self._reader().connect() as connection:
            return [row[0] for row in connection.execute(query)]

    # --- histories ----------------------------------------------------------------------------

    def sample_metric_histories(
        self,
        run_ids: Iterable[str],
        key: str,
        *,
        max_points: int = DEFAULT_MAX_POINTS,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> list:
        """One metric of several runs, each series down-sampled to at most ``max_points``.

        Parameters
        ----------
        run_ids : iterable of str
            Up to 1000 runs; those without ``key`` are left out of the result.
        key : str
            The metric.
        max_points : int
            Points per series (2 to 20000); a bucket of steps keeps its minimum and maximum.
        min_step, max_step : int, optional
            The visible range (inclusive); the whole history by default.

        Returns
        -------
        list of SeriesSample
            In the order of ``run_ids``.
        """
        key = _validation.lookup_text(key, "metric key")
        ids = list(dict.fromkeys(run_ids))
        if len(ids) > MAX_BATCH_RUNS:
            raise InvalidInputError(f"at most {MAX_BATCH_RUNS} runs per request ({len(ids)} given)")
        max_points = _bounded(max_points, "max_points", 2, MAX_POINTS_LIMIT)
        low = None if min_step is None else _validation.integer(min_step, "min_step")
        high = None if max_step is None else _validation.integer(max_step, "max_step")
        with self._reader().connect() as connection:
            extents = _extents(connection, ids, key)
            large = [r for r in ids if r in extents and extents[r][1] - extents[r][0] > LARGE_SPAN]
            small = [r for r in ids if r in extents and r not in large]
            found = _from_summaries(connection, small, key, extents, max_points, low, high)
            rest = [r for r in small if r not in found]
            found.update(
                (s.run_id, s) for s in _sample_small(connection, rest, key, extents, max_points, low, high)
            )
            for run_id in large:
                envelope = self._envelope(connection, run_id, key)
                found[run_id] = envelope.sample(connection, max_points, low, high)
        return [found[r] for r in ids if r in found]

    def metric_step_ranges(self, run_id: str) -> dict:
        """``{key: (first_step, last_step)}`` of every metric of a run (index seeks, no scan)."""
        query = sa.select(schema.latest_metrics.c.key, _first_step(), schema.latest_metrics.c.step).where(
            schema.latest_metrics.c.run_id == run_id
        )
        with self._reader().connect() as connection:
            return {
                key: (low if low is not None else high, high) for key, low, high in connection.execute(query)
            }

    def metric_histories_since(self, run_id: str, cursors: dict, *, limit: int = SINCE_LIMIT) -> dict:
        """The points of a run logged after each series' cursor.

        Parameters
        ----------
        run_id : str
        cursors : dict
            ``{key: (step, id)}`` as returned in :attr:`SeriesSample.cursor`, or ``{key: None}``
            for a series not read yet. Points are new when their step is greater than the
            cursor's, or equal with a greater id (training logs steps in increasing order).
        limit : int
            Points per series per call; poll again to read on.

        Returns
        -------
        dict
            ``{key: SeriesSample}`` for the series with new points.
        """
        out = {}
        with self._reader().connect() as connection:
            for key, cursor in cursors.items():
                key = _validation.lookup_text(key, "metric key")
                rows = _rows_after(connection, run_id, key, cursor, limit)
                if rows:
                    sample = _raw_sample(run_id, key, rows)
                    out[key] = sample
        return out

    def latest_metrics_since(self, run_ids: Iterable[str], since_ms: int) -> dict:
        """``{run_id: {key: value}}`` of latest metric values written after ``since_ms``."""
        ids = list(dict.fromkeys(run_ids))
        since_ms = _validation.integer(since_ms, "since")
        out: dict = {}
        query = sa.select(
            schema.latest_metrics.c.run_id,
            schema.latest_metrics.c.key,
            schema.latest_metrics.c.value,
            schema.latest_metrics.c.is_nan,
        )
        with self._reader().connect() as connection:
            for chunk in _chunks(ids):
                rows = connection.execute(
                    query.where(
                        schema.latest_metrics.c.run_id.in_(chunk),
                        schema.latest_metrics.c.timestamp > since_ms,
                    )
                )
                for run_id, key, value, is_nan in rows:
                    out.setdefault(run_id, {})[key] = _float(value, is_nan)
        return out

    # --- keys ---------------------------------------------------------------------------------

    def experiment_keys(self, experiment_ids, *, contains: str = "") -> ExperimentKeys:
        """Every metric and param key of the experiments' active runs (see :class:`ExperimentKeys`)."""
        numbers = [_validation.experiment_id(e) for e in _as_list(experiment_ids)]
        active = sa.select(schema.runs.c.run_id).where(
            schema.runs.c.experiment_id.in_(numbers), schema.runs.c.lifecycle_stage == "active"
        )
        metric_query = (
            sa.select(
                schema.latest_metrics.c.key, sa.func.max(schema.latest_metrics.c.timestamp), sa.func.count()
            )
            .where(schema.latest_metrics.c.run_id.in_(active))
            .group_by(schema.latest_metrics.c.key)
        )
        param_query = (
            sa.select(schema.params.c.key, sa.func.count(sa.distinct(schema.params.c.value)), sa.func.count())
            .where(schema.params.c.run_id.in_(active))
            .group_by(schema.params.c.key)
        )
        if contains:
            pattern = "%" + contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            metric_query = metric_query.where(schema.latest_metrics.c.key.ilike(pattern, escape="\\"))
            param_query = param_query.where(schema.params.c.key.ilike(pattern, escape="\\"))
        count_query = sa.select(sa.func.count()).select_from(active.subquery())
        with self._reader().connect() as connection:
            metric_rows = [tuple(r) for r in connection.execute(metric_query)]
            param_rows = sorted(tuple(r) for r in connection.execute(param_query))
            run_count = connection.execute(count_query).scalar_one()
        metric_rows.sort(key=lambda r: (-r[1], r[0]))
        return ExperimentKeys(metric_rows, param_rows, run_count)

    # --- envelope cache -----------------------------------------------------------------------

    def _envelope(self, connection, run_id: str, key: str) -> _Envelope:
        cache = self.__dict__.get("_envelopes")
        if cache is None:
            cache = self.__dict__.setdefault("_envelopes", _EnvelopeCache())
        return cache.get(connection, run_id, key, self._store_envelope)

    def _store_long_envelopes(self, run_id: str, keys: list) -> None:
        """Build and store the envelopes of a run's series when it ends: a fine one (cached too)
        for series longer than ``LARGE_SPAN``, a coarse one for those longer than ``SUMMARY_SPAN``.
        ``keys``: those whose last step passed ``SUMMARY_SPAN``."""
        with self._reader().connect() as connection:
            for key in keys:
                extent = _extents(connection, [run_id], key).get(run_id)
                if not extent or extent[1] - extent[0] <= SUMMARY_SPAN:
                    continue
                if extent[1] - extent[0] > LARGE_SPAN:
                    self._envelope(connection, run_id, key)
                else:
                    coarse = _Envelope(run_id, key, fine=SUMMARY_BUCKETS)
                    coarse.refresh(connection)
                    self._store_envelope(coarse)

    def _store_envelope(self, envelope: _Envelope) -> None:
        rows = [
            {
                "run_id": envelope.run_id,
                "key": envelope.key,
                "bucket": number,
                "width": envelope.width,
                "first_step": first,
                "last_step": last,
                "min_value": low,
                "max_value": high,
                "count": count,
                "max_id": max_id,
            }
            for number, (first, last, low, high, count, max_id) in envelope.buckets.items()
        ]
        mine = (schema.metric_envelopes.c.run_id == envelope.run_id) & (
            schema.metric_envelopes.c.key == envelope.key
        )
        try:
            with _engine.write_transaction(self._writer()) as connection:
                connection.execute(sa.delete(schema.metric_envelopes).where(mine))
                if rows:
                    connection.execute(sa.insert(schema.metric_envelopes), rows)
        except (sa.exc.OperationalError, sa.exc.IntegrityError):
            pass  # a busy store, or the run was purged meanwhile: the envelope stays in memory


def _chunks(items: list, size: int = _IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_list(value) -> list:
    return [value] if isinstance(value, (str, int)) else list(value)


def _bounded(value, name: str, low: int, high: int) -> int:
    number = _validation.integer(value, name)
    if not low <= number <= high:
        raise InvalidInputError(f"{name} must be between {low} and {high}, got {number}")
    return number


def _float(value, is_nan) -> float:
    return float("nan") if is_nan or value is None else float(value)


def _first_step():
    """The first step of the (run, key) of the enclosing ``latest_metrics`` row (an index seek)."""
    inner = schema.metrics.alias("m")
    return (
        sa.select(sa.func.min(inner.c.step))
        .where(inner.c.run_id == schema.latest_metrics.c.run_id, inner.c.key == schema.latest_metrics.c.key)
        .scalar_subquery()
    )


def _extents(connection, run_ids: list, key: str) -> dict:
    """``{run_id: (first_step, last_step)}`` of the runs that have ``key`` (index seeks only)."""
    first = _first_step()
    out = {}
    for chunk in _chunks(run_ids):
        query = sa.select(schema.latest_metrics.c.run_id, first, schema.latest_metrics.c.step).where(
            schema.latest_metrics.c.run_id.in_(chunk), schema.latest_metrics.c.key == key
        )
        for run_id, low, high in connection.execute(query):
            out[run_id] = (low if low is not None else high, high)
    return out


def _in_range(query, low, high):
    if low is not None:
        query = query.where(schema.metrics.c.step >= low)
    if high is not None:
        query = query.where(schema.metrics.c.step <= high)
    return query


def _from_summaries(connection, run_ids: list, key: str, extents: dict, max_points: int, low, high) -> dict:
    """Whole series of ended runs from their stored coarse envelopes, where those are fine enough
    (stored buckets no wider than the chart's) and nothing was logged after them."""
    if not run_ids or low is not None or high is not None:
        return {}
    first = min(extents[r][0] for r in run_ids)
    width = max(1, math.ceil((max(extents[r][1] for r in run_ids) - first + 1) / max(1, max_points // 2)))
    if width < 2:
        return {}
    table = schema.metric_envelopes.c
    bucket = ((table.first_step - first) // width).label("bucket")
    query = (
        sa.select(
            table.run_id,
            bucket,
            sa.func.min(table.first_step),
            sa.func.max(table.last_step),
            sa.func.min(table.min_value),
            sa.func.max(table.max_value),
            sa.cast(sa.func.sum(table.count), sa.BigInteger),  # PostgreSQL sums to numeric
            sa.func.max(table.max_id),
        )
        .where(table.key == key, table.width <= width)
        .group_by(table.run_id, bucket)
    )
    stored: dict = {}
    for chunk in _chunks(run_ids):  # the stored buckets merged into the chart's, in SQL
        for run_id, _, *row in connection.execute(query.where(table.run_id.in_(chunk))):
            stored.setdefault(run_id, []).append(row)
    return {
        run_id: _envelope_sample(run_id, key, rows)
        for run_id, rows in stored.items()
        if max(row[1] for row in rows) == extents[run_id][1]  # else points came later: read rows
    }


def _sample_small(connection, run_ids: list, key: str, extents: dict, max_points: int, low, high) -> list:
    """Series of at most ``LARGE_SPAN`` steps: raw when short enough, else one grouped query."""
    if not run_ids:
        return []
    first = max(min(extents[r][0] for r in run_ids), low if low is not None else -(2**62))
    last = min(max(extents[r][1] for r in run_ids), high if high is not None else 2**62)
    buckets = max(1, max_points // 2)
    width = max(1, math.ceil((last - first + 1) / buckets))
    if width == 1:
        return _raw_series(connection, run_ids, key, low, high)
    if connection.dialect.name == "sqlite":
        return [
            sample
            for sample in (
                _ranged_sample(connection, r, key, width, first, extents[r], low, high) for r in run_ids
            )
            if sample is not None
        ]
    return _bucketed_series(connection, run_ids, key, width, first, low, high)


def _ranged_sample(connection, run_id: str, key: str, width: int, origin: int, extent: tuple, low, high):
    """SQLite: the buckets of one run as index-range aggregates (no sort; see ``_build_by_ranges``)."""
    start = max(extent[0], low if low is not None else extent[0])
    stop = min(extent[1], high if high is not None else extent[1])
    rows = []
    cursor = connection.connection.driver_connection.cursor()
    try:
        for number in range((start - origin) // width, (stop - origin) // width + 1):
            begin = max(start, origin + number * width)
            end = min(stop + 1, origin + (number + 1) * width)
            row = cursor.execute(_RANGE_AGGREGATE, (run_id, key, begin, end)).fetchone()
            if row[4]:
                rows.append(list(row))
    finally:
        cursor.close()
    return _envelope_sample(run_id, key, rows) if rows else None


def _raw_series(connection, run_ids: list, key: str, low, high) -> list:
    query = sa.select(
        schema.metrics.c.run_id,
        schema.metrics.c.step,
        schema.metrics.c.value,
        schema.metrics.c.is_nan,
        schema.metrics.c.id,
    )
    series: dict = {}
    for chunk in _chunks(run_ids):
        chunk_query = _in_range(
            query.where(schema.metrics.c.run_id.in_(chunk), schema.metrics.c.key == key), low, high
        )
        for run_id, step, value, is_nan, row_id in connection.execute(chunk_query):
            series.setdefault(run_id, []).append((step, _float(value, is_nan), row_id))
    return [
        _raw_sample(run_id, key, sorted(rows, key=lambda r: (r[0], r[2]))) for run_id, rows in series.items()
    ]


def _raw_sample(run_id: str, key: str, rows: list) -> SeriesSample:
    """``rows``: ``(step, value, id)`` ordered by step then id."""
    last = rows[-1] if rows else None
    return SeriesSample(
        run_id,
        key,
        [r[0] for r in rows],
        [r[1] for r in rows],
        len(rows),
        False,
        (last[0], last[2]) if last else None,
    )


def _bucket_columns(width: int, origin: int):
    bucket = ((schema.metrics.c.step - origin) // width).label("bucket")
    return bucket, (
        sa.func.min(schema.metrics.c.step),
        sa.func.max(schema.metrics.c.step),
        sa.func.min(schema.metrics.c.value),
        sa.func.max(schema.metrics.c.value),
        sa.func.count(),
        sa.func.max(schema.metrics.c.id),
    )


def _bucketed_series(connection, run_ids: list, key: str, width: int, origin: int, low, high) -> list:
    """One grouped query per run: many small sorts cost less than one over every run's rows."""
    bucket, aggregates = _bucket_columns(width, origin)
    query = _in_range(
        sa.select(bucket, *aggregates)
        .where(schema.metrics.c.run_id == sa.bindparam("run_id"), schema.metrics.c.key == key)
        .group_by(bucket),
        low,
        high,
    )
    samples = []
    for run_id in run_ids:
        rows = [list(row[1:]) for row in connection.execute(query, {"run_id": run_id})]
        if rows:
            samples.append(_envelope_sample(run_id, key, rows))
    return samples


def _envelope_sample(run_id: str, key: str, buckets: list) -> SeriesSample:
    """Points from buckets ``[first_step, last_step, min, max, count, max_id]``: two per bucket.

    The minimum is drawn at the bucket's first step and the maximum at its last, so a line
    through the points covers every value the bucket held.
    """
    buckets.sort(key=lambda b: b[0])
    steps, values, total, cursor = [], [], 0, None
    for first, last, low, high, count, max_id in buckets:
        total += count
        if count == 1 or first == last:
            steps.append(first)
            values.append(_float(high, high is None))
        else:
            steps.extend((first, last))
            values.extend((_float(low, low is None), _float(high, high is None)))
        cursor = (last, max_id)
    return SeriesSample(run_id, key, steps, values, total, total > len(steps), cursor)


def _rows_after(connection, run_id: str, key: str, cursor, limit: int) -> list:
    query = sa.select(
        schema.metrics.c.step, schema.metrics.c.value, schema.metrics.c.is_nan, schema.metrics.c.id
    ).where(schema.metrics.c.run_id == run_id, schema.metrics.c.key == key)
    last_step, last_id = (None, None) if cursor is None else (int(c) for c in cursor)
    if last_step is not None:
        query = query.where(schema.metrics.c.step >= last_step)  # an index range; the seen ties drop below
    query = query.order_by(schema.metrics.c.step, schema.metrics.c.id).limit(limit)
    return [
        (step, _float(value, is_nan), row_id)
        for step, value, is_nan, row_id in connection.execute(query)
        if last_step is None or step > last_step or row_id > last_id
    ]


_RANGE_AGGREGATE = (
    "SELECT MIN(step), MAX(step), MIN(value), MAX(value), COUNT(*), MAX(id) FROM metrics"
    " WHERE run_id = ? AND key = ? AND step >= ? AND step < ?"
)


class _EnvelopeCache:
    """A small LRU of envelopes, one per (run, key)."""

    def __init__(self, size: int = ENVELOPE_CACHE_SIZE):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, connection, run_id: str, key: str, store) -> _Envelope:
        with self.lock:
            envelope = self.entries.pop((run_id, key), None) or _Envelope(run_id, key)
            self.entries[(run_id, key)] = envelope
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        with envelope.lock:
            if envelope.refresh(connection):
                store(envelope)
        return envelope


class _Envelope:
    """Min/max of one long series over power-of-two step buckets, extended from a cursor."""

    def __init__(self, run_id: str, key: str, fine: int | None = None):
        self.run_id, self.key = run_id, key
        self.fine = fine  # buckets over the whole series; FINE_BUCKETS when None
        self.lock = threading.Lock()
        self.width = 0
        self.buckets: dict = {}  # bucket number -> [first_step, last_step, min, max, count, max_id]
        self.cursor: tuple | None = None  # (step, max row id) of the newest row seen
        self.unstored = 0  # rows added since the envelope was last stored

    def refresh(self, connection) -> bool:
        """Bring the envelope up to date; True when it should be stored (built or grown a lot)."""
        if self.cursor is None and not self._load(connection):
            self._build(connection)
            self.unstored = 0
            return True
        rows = _rows_after(connection, self.run_id, self.key, self.cursor, 10**9)
        if rows:
            self._add_rows(rows)
            self.unstored += len(rows)
        if self.unstored > RESTORE_AFTER:
            self.unstored = 0
            return True
        return False

    def _load(self, connection) -> bool:
        """Read the stored envelope, if any (its points after the cursor are read next)."""
        query = sa.select(
            schema.metric_envelopes.c.bucket,
            schema.metric_envelopes.c.width,
            schema.metric_envelopes.c.first_step,
            schema.metric_envelopes.c.last_step,
            schema.metric_envelopes.c.min_value,
            schema.metric_envelopes.c.max_value,
            schema.metric_envelopes.c.count,
            schema.metric_envelopes.c.max_id,
        ).where(schema.metric_envelopes.c.run_id == self.run_id, schema.metric_envelopes.c.key == self.key)
        buckets = {}
        for number, width, *row in connection.execute(query):
            buckets[number] = row
            self.width = width
        if not buckets:
            return False
        self.buckets = buckets
        self.cursor = max((b[1], b[5]) for b in buckets.values())
        return True

    def _build(self, connection) -> None:
        low, high = _extents(connection, [self.run_id], self.key).get(self.run_id, (0, 0))
        self.width = _power_of_two_at_least(max(1, (high - low + 1) // (self.fine or FINE_BUCKETS)))
        if connection.dialect.name == "sqlite":
            self._build_by_ranges(connection, low, high)
        else:
            bucket, aggregates = _bucket_columns(self.width, 0)
            query = (
                sa.select(bucket, *aggregates)
                .where(schema.metrics.c.run_id == self.run_id, schema.metrics.c.key == self.key)
                .group_by(bucket)
            )
            for number, *row in connection.execute(query):
                self.buckets[int(number)] = list(row)
        self._refit()
        self.cursor = max(((b[1], b[5]) for b in self.buckets.values()), default=None)

    def _build_by_ranges(self, connection, low: int, high: int) -> None:
        """SQLite: one index-range aggregate per bucket. A GROUP BY over the whole series sorts
        every row in a temporary b-tree, which costs twice the scan itself."""
        cursor = connection.connection.driver_connection.cursor()
        try:
            for number in range(low // self.width, high // self.width + 1):
                start = number * self.width
                row = cursor.execute(
                    _RANGE_AGGREGATE, (self.run_id, self.key, start, start + self.width)
                ).fetchone()
                if row[4]:
                    self.buckets[number] = list(row)
        finally:
            cursor.close()

    def _add_rows(self, rows: list) -> None:
        for step, value, row_id in rows:
            entry = self.buckets.get(step // self.width)
            finite = None if value != value else value
            if entry is None:
                self.buckets[step // self.width] = [step, step, finite, finite, 1, row_id]
                continue
            entry[0], entry[1] = min(entry[0], step), max(entry[1], step)
            if finite is not None:
                entry[2] = finite if entry[2] is None else min(entry[2], finite)
                entry[3] = finite if entry[3] is None else max(entry[3], finite)
            entry[4] += 1
            entry[5] = max(entry[5], row_id)
        self.cursor = (rows[-1][0], rows[-1][2])
        self._refit()

    def _refit(self) -> None:
        """Double the bucket width while the series holds more than ``2 * FINE_BUCKETS`` buckets."""
        while len(self.buckets) > 2 * (self.fine or FINE_BUCKETS):
            merged: dict = {}
            for number, entry in self.buckets.items():
                _merge_into(merged, number // 2, entry)
            self.buckets, self.width = merged, self.width * 2

    def sample(self, connection, max_points: int, low, high) -> SeriesSample:
        chosen = [
            (n, b)
            for n, b in sorted(self.buckets.items())
            if (low is None or b[1] >= low) and (high is None or b[0] <= high)
        ]
        total = sum(b[4] for _, b in chosen)
        if total <= max_points:
            rows = _rows_in_range(connection, self.run_id, self.key, low, high)
            sample = _raw_sample(self.run_id, self.key, rows)
        elif len(chosen) * 4 < max_points:  # too few cached buckets in range: ask SQL
            width = max(
                1, math.ceil(((high or chosen[-1][1][1]) - (low or chosen[0][1][0]) + 1) / (max_points // 2))
            )
            found = _bucketed_series(connection, [self.run_id], self.key, width, low or 0, low, high)
            sample = found[0] if found else SeriesSample(self.run_id, self.key)
        else:
            group = math.ceil(len(chosen) / (max_points // 2))
            merged: dict = {}
            for index, (_, entry) in enumerate(chosen):
                _merge_into(merged, index // group, entry)
            sample = _envelope_sample(self.run_id, self.key, list(merged.values()))
        sample.total, sample.cursor = total, self.cursor
        return sample


def _rows_in_range(connection, run_id: str, key: str, low, high) -> list:
    query = (
        sa.select(schema.metrics.c.step, schema.metrics.c.value, schema.metrics.c.is_nan, schema.metrics.c.id)
        .where(schema.metrics.c.run_id == run_id, schema.metrics.c.key == key)
        .order_by(schema.metrics.c.step, schema.metrics.c.id)
    )
    return [(s, _float(v, n), i) for s, v, n, i in connection.execute(_in_range(query, low, high))]


def _merge_into(target: dict, number: int, entry: list) -> None:
    existing = target.get(number)
    if existing is None:
        target[number] = list(entry)
        return
    existing[0], existing[1] = min(existing[0], entry[0]), max(existing[1], entry[1])
    existing[2] = _none_min(existing[2], entry[2])
    existing[3] = _none_max(existing[3], entry[3])
    existing[4] += entry[4]
    existing[5] = max(existing[5], entry[5])


def _none_min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _none_max(a, b):
    return b if a is None else a if b is None else max(a, b)


def _power_of_two_at_least(number: int) -> int:
    width = 1
    while width < number:
        width *= 2
    return width
