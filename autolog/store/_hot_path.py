"""The hot path: the statements of run creation and logging, compiled once per dialect.

Logging is the one place where the cost of SQLAlchemy's statement execution shows (thousands of
metric rows per fit), so these writes run the SQL text that SQLAlchemy compiled from the
statements below straight on a DBAPI cursor (``_engine.HotConnections``). ``sqlalchemy_statements``
keeps the SQLAlchemy form of each one: ``tests/store/test_hot_path.py`` runs both forms and checks
that they leave the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, bindparam, or_

from autolog._core import _validation
from autolog._core._entities import Metric
from autolog._core._exceptions import InvalidInputError
from autolog.store import _engine
from autolog.store._schema import experiments, latest_metrics, metrics, params, runs, tags
from autolog.store._sql_common import now_ms

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
    return or_(
        excluded.step > table.c.step,
        and_(excluded.step == table.c.step, excluded.timestamp >= table.c.timestamp),
    )


def bound(*names: str) -> dict:
    """``{name: bindparam(name)}`` for ``.values()``: each column bound by its own name."""
    return {name: bindparam(name) for name in names}


def sqlalchemy_statements(dialect) -> dict:
    """The SQLAlchemy form of every hot-path statement, by name (parameters bound by name).

    ``insert_metrics`` is the batch insert of metric rows; its hot form takes positional rows.
    """
    return {
        "run_stage": sa.select(runs.c.lifecycle_stage).where(runs.c.run_id == bindparam("run_id")),
        "insert_metric": sa.insert(metrics).values(bound(*METRIC_COLUMNS)),
        "insert_metrics": sa.insert(metrics).values(bound(*METRIC_COLUMNS)),
        "upsert_latest": _engine.upsert(
            dialect, latest_metrics, ["run_id", "key"], where=newer_metric
        ).values(bound(*METRIC_COLUMNS)),
        "insert_param": _engine.insert_for(dialect, params)
        .values(bound("run_id", "key", "value"))
        .on_conflict_do_nothing(),
        "run_params": sa.select(params.c.key, params.c.value).where(params.c.run_id == bindparam("run_id")),
        "upsert_tag": _engine.upsert(dialect, tags, ["run_id", "key"]).values(
            bound("run_id", "key", "value")
        ),
        "experiment_stage": sa.select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
            experiments.c.experiment_id == bindparam("experiment_id")
        ),
        "insert_run": sa.insert(runs).values(bound(*RUN_INSERT_COLUMNS)),
        "artifact_uri": sa.select(runs.c.artifact_uri).where(runs.c.run_id == bindparam("run_id")),
        # at a run's end: the keys whose last step passed "span" (they may get a stored envelope)
        "long_series": sa.select(latest_metrics.c.key).where(
            latest_metrics.c.run_id == bindparam("run_id"), latest_metrics.c.step > bindparam("span")
        ),
    }


def update_run_statement(columns: tuple[str, ...]):
    """``UPDATE runs SET <columns> WHERE run_id = :where_run_id`` (SQLAlchemy form).

    The run is bound as ``where_run_id``: SQLAlchemy reserves the column names for the SET part.
    """
    return sa.update(runs).where(runs.c.run_id == bindparam("where_run_id")).values(bound(*columns))


class HotStatements:
    """The hot-path statements as SQL text for one dialect (attributes named as in
    :func:`sqlalchemy_statements`), for a DBAPI cursor's ``execute``/``executemany``."""

    # set by __init__ from sqlalchemy_statements(), one per name
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

    def __init__(self, dialect) -> None:
        self._dialect = dialect
        for name, statement in sqlalchemy_statements(dialect).items():
            setattr(self, name, self._compiled(statement))
        # The batch insert takes positional rows (tuples in METRIC_COLUMNS order): cheaper to
        # build and to bind than 2,000 dicts.
        placeholder = "?" if dialect.name == "sqlite" else "%s"
        quote = dialect.identifier_preparer.quote
        self.insert_metrics = (
            f"INSERT INTO {quote(metrics.name)} ({', '.join(quote(c) for c in METRIC_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(METRIC_COLUMNS))})"
        )
        self._updates: dict[tuple[str, ...], str] = {}
        self._lazy: dict[str, str] = {}

    def _compiled(self, statement) -> str:
        return str(statement.compile(dialect=self._dialect))

    def statement(self, name: str, build: Callable[[Any], Any]) -> str:
        """The SQL text of ``build(dialect)`` (a SQLAlchemy statement), compiled on first use.

        For the writes of every fit that live outside this module (artifact and model records).
        """
        text = self._lazy.get(name)
        if text is None:
            text = self._compiled(build(self._dialect))
            self._lazy[name] = text
        return text

    def update_run(self, columns: tuple[str, ...]) -> str:
        """``UPDATE runs SET <columns> WHERE run_id = :where_run_id``, compiled once per column set."""
        statement = self._updates.get(columns)
        if statement is None:
            statement = self._compiled(update_run_statement(columns))
            self._updates[columns] = statement
        return statement


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
