"""The hot path: the statements of run creation and logging as SQL text, and their connections.

Logging is the one place where the cost of SQLAlchemy's statement execution shows (thousands of
metric rows per fit), so these writes run the SQL text that SQLAlchemy compiled from the
statements below straight on a DBAPI cursor (:class:`HotConnections`). ``sqlalchemy_statements``
keeps the SQLAlchemy form of each one: ``tests/store/test_hot_path.py`` runs both forms and checks
that they leave the same rows. For SQLite the text is pre-rendered in ``_sqlite_sql`` (checked
against a fresh compilation by ``tests/store/test_sqlite_light.py``), so that a process's first
fit writes its run without importing SQLAlchemy; PostgreSQL compiles it once per store.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from autolog._core import _validation
from autolog._core._entities import Metric
from autolog._core._exceptions import InvalidInputError
from autolog.store._sql_common import now_ms

if TYPE_CHECKING:
    import sqlalchemy as sa

    from autolog.store import _engine
    from autolog.store import _schema as schema
else:
    from autolog.store._lazy import engine_module as _engine
    from autolog.store._lazy import sa, schema

METRIC_COLUMNS = ("run_id", "key", "value", "is_nan", "timestamp", "step")
_INT64_MAX = 2**63 - 1

RUN_INSERT_COLUMNS = (
    "run_id",
    "experiment_id",
    "name",
    "status",
    "start_time",
    "end_time",
    "user_id",
    "source",
    "parent_run_id",
    "lifecycle_stage",
    "artifact_uri",
    "owner_host",
    "owner_pid",
    "heartbeat_time",
)


def newer_metric(table, excluded):
    """The latest value wins by (step, timestamp); on a tie, the later write."""
    return sa.or_(
        excluded.step > table.c.step,
        sa.and_(excluded.step == table.c.step, excluded.timestamp >= table.c.timestamp),
    )


def bound(*names: str) -> dict:
    """``{name: sa.bindparam(name)}`` for ``.values()``: each column bound by its own name."""
    return {name: sa.bindparam(name) for name in names}


def sqlalchemy_statements(dialect) -> dict:
    """The SQLAlchemy form of every hot-path statement, by name (parameters bound by name).

    ``insert_metrics`` is the batch insert of metric rows; its hot form takes positional rows.
    """
    return {
        "run_stage": sa.select(schema.runs.c.lifecycle_stage).where(
            schema.runs.c.run_id == sa.bindparam("run_id")
        ),
        "insert_metric": sa.insert(schema.metrics).values(bound(*METRIC_COLUMNS)),
        "insert_metrics": sa.insert(schema.metrics).values(bound(*METRIC_COLUMNS)),
        "upsert_latest": _engine.upsert(
            dialect, schema.latest_metrics, ["run_id", "key"], where=newer_metric
        ).values(bound(*METRIC_COLUMNS)),
        "insert_param": _engine.insert_for(dialect, schema.params)
        .values(bound("run_id", "key", "value"))
        .on_conflict_do_nothing(),
        "run_params": sa.select(schema.params.c.key, schema.params.c.value).where(
            schema.params.c.run_id == sa.bindparam("run_id")
        ),
        "upsert_tag": _engine.upsert(dialect, schema.tags, ["run_id", "key"]).values(
            bound("run_id", "key", "value")
        ),
        "experiment_stage": sa.select(
            schema.experiments.c.lifecycle_stage, schema.experiments.c.artifact_location
        ).where(schema.experiments.c.experiment_id == sa.bindparam("experiment_id")),
        "insert_run": sa.insert(schema.runs).values(bound(*RUN_INSERT_COLUMNS)),
        "artifact_uri": sa.select(schema.runs.c.artifact_uri).where(
            schema.runs.c.run_id == sa.bindparam("run_id")
        ),
        # at a run's end: the keys whose last step passed "span" (they may get a stored envelope)
        "long_series": sa.select(schema.latest_metrics.c.key).where(
            schema.latest_metrics.c.run_id == sa.bindparam("run_id"),
            schema.latest_metrics.c.step > sa.bindparam("span"),
        ),
    }


def update_run_statement(columns: tuple[str, ...]):
    """``UPDATE runs SET <columns> WHERE run_id = :where_run_id`` (SQLAlchemy form).

    The run is bound as ``where_run_id``: SQLAlchemy reserves the column names for the SET part.
    """
    return (
        sa.update(schema.runs)
        .where(schema.runs.c.run_id == sa.bindparam("where_run_id"))
        .values(bound(*columns))
    )


class HotStatements:
    """The hot-path statements as SQL text for one dialect (attributes named as in
    :func:`sqlalchemy_statements`), for a DBAPI cursor's ``execute``/``executemany``.

    Parameters
    ----------
    texts : Mapping[str, str]
        The SQL text of every statement of :func:`sqlalchemy_statements`, and of any statement
        :meth:`statement` will be asked for that is known in advance.
    dialect : Callable[[], Any]
        Returns the SQLAlchemy dialect that compiles what ``texts`` lacks (called only then).
    run_columns : tuple of str, optional
        The columns of ``runs`` in table order: :meth:`update_run` renders its statements from
        them instead of compiling them (SQLite).
    """

    run_stage: str
    insert_metric: str
    insert_metrics: str
    upsert_latest: str
    insert_param: str
    run_params: str
    upsert_tag: str
    experiment_stage: str
    insert_run: str
    artifact_uri: str
    long_series: str

    def __init__(
        self, texts: Mapping[str, str], dialect: Callable[[], Any], run_columns: tuple[str, ...] = ()
    ) -> None:
        self._texts = dict(texts)
        for name in HotStatements.__annotations__:  # the statement attributes declared above
            setattr(self, name, self._texts[name])
        self._dialect = dialect
        self._run_columns = run_columns
        self._updates: dict[tuple[str, ...], str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_sqlite(cls) -> HotStatements:
        """SQLite's statements, pre-rendered in ``_sqlite_sql`` (no SQLAlchemy needed)."""
        from autolog.store import _sqlite_sql

        return cls(_sqlite_sql.HOT_STATEMENTS, _sqlite_dialect, _sqlite_sql.RUN_COLUMNS)

    @classmethod
    def compiled(cls, dialect) -> HotStatements:
        """The statements compiled by SQLAlchemy for ``dialect`` (PostgreSQL; and ``_sqlite_sql``)."""
        texts = {name: _compiled(s, dialect) for name, s in sqlalchemy_statements(dialect).items()}
        # The batch insert takes positional rows (tuples in METRIC_COLUMNS order): cheaper to
        # build and to bind than 2,000 dicts.
        placeholder = "?" if dialect.name == "sqlite" else "%s"
        quote = dialect.identifier_preparer.quote
        texts["insert_metrics"] = (
            f"INSERT INTO {quote(schema.metrics.name)} ({', '.join(quote(c) for c in METRIC_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(METRIC_COLUMNS))})"
        )
        return cls(texts, lambda: dialect)

    def texts(self) -> dict[str, str]:
        """Every statement's text so far, by name (those of :meth:`statement` included)."""
        return dict(self._texts)

    def statement(self, name: str, build: Callable[[Any], Any]) -> str:
        """The SQL text of ``build(dialect)`` (a SQLAlchemy statement), compiled on first use
        unless given in advance.

        For the writes of every fit that live outside this module (artifact and model records).
        """
        text = self._texts.get(name)
        if text is None:
            text = _compiled(build(self._dialect()), self._dialect())
            with self._lock:
                self._texts[name] = text
        return text

    def update_run(self, columns: tuple[str, ...]) -> str:
        """``UPDATE runs SET <columns> WHERE run_id = :where_run_id``, built once per column set."""
        statement = self._updates.get(columns)
        if statement is None:
            if self._run_columns:
                statement = render_update_run(columns, self._run_columns)
            else:
                statement = _compiled(update_run_statement(columns), self._dialect())
            with self._lock:
                self._updates[columns] = statement
        return statement


def render_update_run(columns: tuple[str, ...], run_columns: tuple[str, ...]) -> str:
    """The text SQLAlchemy compiles :func:`update_run_statement` to on SQLite (SET in table order)."""
    unknown = set(columns) - set(run_columns)
    if unknown:
        raise ValueError(f"not columns of runs: {sorted(unknown)}")
    assignments = ", ".join(f"{name}=:{name}" for name in run_columns if name in columns)
    return f"UPDATE runs SET {assignments} WHERE runs.run_id = :where_run_id"


def _compiled(statement, dialect) -> str:
    return str(statement.compile(dialect=dialect))


def _sqlite_dialect():
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect(paramstyle="named")


class HotConnections:
    """One DB-API connection per thread (and process) for the hot write paths.

    ``log_metric`` is called thousands of times per run; a dedicated connection per thread skips
    a pool's checkout and reset on every call. ``connect`` returns ``(closeable, connection)``:
    a SQLite store's own ``sqlite3`` connection twice (``_sqlite.connect``), or one taken from an
    engine's pool and detached from it (``_engine.detached_connection``).

    Parameters
    ----------
    connect : Callable[[], tuple]
        Opens a new connection as ``(closeable, DB-API connection)``.
    begin : str or None
        The statement that opens a write transaction (``BEGIN IMMEDIATE`` on SQLite), or
        ``None`` where the driver opens one itself (psycopg).
    after_commit : Callable[[], None], optional
        Called after each commit (a SQLite store reports it to its WAL checkpoints).
    """

    def __init__(
        self,
        connect: Callable[[], tuple[Any, Any]],
        begin: str | None,
        *,
        after_commit: Callable[[], None] | None = None,
    ):
        self._connect = connect
        self._local = threading.local()
        self._begin = begin
        self._after_commit = after_commit

    def _connection(self):
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1], held[2]
        if held is not None:
            _inherited.append(held[1])  # never close a parent's connection in a forked child
        closeable, connection = self._connect()
        self._local.held = (os.getpid(), closeable, connection)
        return closeable, connection

    @contextlib.contextmanager
    def write_cursor(self) -> Iterator:
        """A DB-API cursor inside one write transaction; commits, or rolls back on error."""
        closeable, connection = self._connection()
        try:
            cursor = connection.cursor()
            if self._begin:
                cursor.execute(self._begin)
            yield cursor
            connection.commit()
        except BaseException:
            self._rollback_or_discard(closeable, connection)
            raise
        if self._after_commit is not None:
            self._after_commit()

    def close_current_thread(self) -> None:
        """Close this thread's connection (other threads' close when those threads end)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            with contextlib.suppress(Exception):
                held[1].close()

    def _rollback_or_discard(self, closeable, connection) -> None:
        try:
            connection.rollback()
        except Exception:
            self._local.held = None
            with contextlib.suppress(Exception):
                closeable.close()


_inherited: list = []


def to_metric_rows(run_id: str, items: Any) -> list[tuple]:
    """Validated ``(run_id, key, value, is_nan, timestamp, step)`` rows (``METRIC_COLUMNS``).

    Each distinct key is validated once per call; the common value types (float, int) take a
    fast path; anything else goes through the full checks, with the same errors.
    """
    if not items:
        return []
    now = now_ms()
    if isinstance(items, dict):
        items = [Metric(key, value, now, 0) for key, value in items.items()]
    rows: list[tuple] = []
    append = rows.append
    valid_keys: set[str] = set()
    validate_key, metric_value, integer = (
        _validation.validate_key,
        _validation.metric_value,
        _validation.integer,
    )
    low, high = -_INT64_MAX, _INT64_MAX
    for item in items:
        try:
            key = item.key
            value = item.value
        except AttributeError:
            raise InvalidInputError(f"expected a Metric(key, value, timestamp, step), got {item!r}") from None
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


def latest_per_key(rows: list[tuple]) -> list[dict]:
    """The row with the greatest (step, timestamp) per key; a later row wins a tie (as dicts)."""
    latest: dict[str, tuple] = {}
    get = latest.get
    for row in rows:
        best = get(row[1])
        if best is None or (row[5], row[4]) >= (best[5], best[4]):
            latest[row[1]] = row
    return [dict(zip(METRIC_COLUMNS, row)) for row in latest.values()]
