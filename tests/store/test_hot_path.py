"""The hot path (SQL text compiled once, run on a DBAPI cursor, metric rows batched and reduced
to the latest per key in Python) leaves the same rows as the SQLAlchemy statements it is
compiled from, executed one by one through SQLAlchemy."""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa

from autolog.entities import Metric
from autolog.store import _engine, _schema
from autolog.store._hot_path import METRIC_COLUMNS, sqlalchemy_statements, update_run_statement

TABLES = (_schema.runs, _schema.params, _schema.tags, _schema.metrics, _schema.latest_metrics)
WRITE_TIME_COLUMNS = {"heartbeat_time"}  # "now" when written: differs between the two paths

BATCH = [
    Metric("acc", 0.5, 10, 1),
    Metric("acc", 0.7, 11, 2),
    Metric("tie", 0.7, 11, 2),
    Metric("tie", 0.6, 11, 2),  # ties (step, timestamp): the later write is the latest
    Metric("loss", float("nan"), 10, 0),
    Metric("big", 1e308, -5, -(2**62)),
]
LATE_METRICS = [("loss", 1.0, 9, 0), ("acc", 0.9, 20, 1)]  # older than the latest: kept in history
FINAL = [Metric("acc", float("inf"), 30, 3)]


def _write_through_the_store(store) -> tuple[str, str]:
    """The store's public writes (the hot path); returns the run id and the artifact URI as stored
    (relative to a directory store's root, so the reference store can store the same text)."""
    run = store.create_run(
        "0", run_name="r", start_time=5, tags={"t": "x"}, params={"C": "1"}, user_id="u", source="s"
    )
    run_id = run.info.run_id
    store.log_batch(run_id, metrics=BATCH, params={"C": "1", "D": "2"}, tags={"t": "y", "u": "1"})
    for key, value, timestamp, step in LATE_METRICS:
        store.log_metric(run_id, key, value, timestamp=timestamp, step=step)
    store.update_run(run_id, run_name="renamed")
    store.finish_run(run_id, metrics=FINAL, tags={"done": "1"}, status="FAILED", end_time=99)
    with store._reader().connect() as connection:
        stored = connection.execute(
            sa.select(_schema.runs.c.artifact_uri).where(_schema.runs.c.run_id == run_id)
        ).scalar()
    return run_id, stored


def _metric_row(run_id: str, metric: Metric) -> dict:
    is_nan = metric.value != metric.value
    values = (run_id, metric.key, None if is_nan else metric.value, is_nan, metric.timestamp, metric.step)
    return dict(zip(METRIC_COLUMNS, values))


def _log_metric_rows(connection, statements, run_id: str, metrics) -> None:
    for metric in metrics:
        row = _metric_row(run_id, metric)
        connection.execute(statements["insert_metrics"], row)
        connection.execute(statements["upsert_latest"], row)


def _write_with_sqlalchemy(store, run_id: str, artifact_uri: str) -> None:
    """The same writes as SQLAlchemy statements, one row at a time, in the same order."""
    engine = store._writer()
    statements = sqlalchemy_statements(engine.dialect)

    def tags_and_params(connection, tags, params):
        for key, value in tags.items():
            connection.execute(statements["upsert_tag"], {"run_id": run_id, "key": key, "value": value})
        for key, value in params.items():
            connection.execute(statements["insert_param"], {"run_id": run_id, "key": key, "value": value})

    with _engine.write_transaction(engine) as connection:
        connection.execute(
            statements["insert_run"],
            {
                "run_id": run_id,
                "experiment_id": 0,
                "name": "r",
                "status": "RUNNING",
                "start_time": 5,
                "end_time": None,
                "user_id": "u",
                "source": "s",
                "parent_run_id": None,
                "lifecycle_stage": "active",
                "artifact_uri": artifact_uri,
                "owner_host": socket.gethostname(),
                "owner_pid": os.getpid(),
                "heartbeat_time": 0,
            },
        )
        tags_and_params(connection, {"t": "x"}, {"C": "1"})
        tags_and_params(connection, {}, {"C": "1", "D": "2"})
        _log_metric_rows(connection, statements, run_id, BATCH)
        tags_and_params(connection, {"t": "y", "u": "1"}, {})
        for key, value, timestamp, step in LATE_METRICS:
            row = _metric_row(run_id, Metric(key, value, timestamp, step))
            connection.execute(statements["insert_metric"], row)
            connection.execute(statements["upsert_latest"], row)
        connection.execute(update_run_statement(("name",)), {"name": "renamed", "where_run_id": run_id})
        _log_metric_rows(connection, statements, run_id, FINAL)
        tags_and_params(connection, {"done": "1"}, {})
        connection.execute(
            update_run_statement(("status", "end_time")),
            {"status": "FAILED", "end_time": 99, "where_run_id": run_id},
        )


def _contents(store) -> dict:
    """Every row of the run tables, as comparable tuples (write-time columns left out)."""
    contents = {}
    with store._writer().connect() as connection:
        for table in TABLES:
            columns = [c for c in table.c if c.name not in WRITE_TIME_COLUMNS]
            order = [table.c.id] if "id" in table.c else [table.c[c.name] for c in table.primary_key]
            rows = connection.execute(sa.select(*columns).order_by(*order)).all()
            contents[table.name] = [tuple(row) for row in rows]
    return contents


def test_hot_path_and_sqlalchemy_statements_leave_the_same_rows(make_sql_store):
    hot, reference = make_sql_store(), make_sql_store()
    run_id, artifact_uri = _write_through_the_store(hot)
    _write_with_sqlalchemy(reference, run_id, artifact_uri)
    written = _contents(hot)
    assert written == _contents(reference)
    latest = {row[1]: row[2:] for row in written["latest_metrics"]}
    assert latest == {
        "acc": (float("inf"), False, 30, 3),
        "tie": (0.6, False, 11, 2),
        "loss": (None, True, 10, 0),
        "big": (1e308, False, -5, -(2**62)),
    }
    assert len(written["metrics"]) == len(BATCH) + len(LATE_METRICS) + len(FINAL)


def test_hot_statements_are_the_compiled_sqlalchemy_statements(sql_store):
    """Every named hot statement is its SQLAlchemy form compiled for the store's dialect (the
    positional batch insert of metrics aside, which the test above checks by its rows)."""
    sql_store.create_run("0")  # initializes the hot path
    dialect = sql_store._writer().dialect
    for name, statement in sqlalchemy_statements(dialect).items():
        if name != "insert_metrics":
            assert getattr(sql_store._hot, name) == str(statement.compile(dialect=dialect)), name
    columns = ("status", "end_time")
    assert sql_store._hot.update_run(columns) == str(update_run_statement(columns).compile(dialect=dialect))
