"""The SQLAlchemy-free path of SQLite stores (``_sqlite`` and the generated ``_sqlite_sql``).

Promises: the checked-in SQL is what SQLAlchemy and the migrations' head revision render today;
a store created by the light path is the store the SQLAlchemy path creates, and every method
works on it; processes creating one store at once, by either path, leave one store.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sqlite3

import pytest

from autolog.store import SqlStore, _engine, _hot_path, _schema, _sqlite, _sqlite_codegen, _sqlite_sql

_UPDATABLE = ("status", "end_time", "name", "heartbeat_time", "owner_host", "owner_pid")


def test_generated_sql_is_what_sqlalchemy_renders_today():
    with open(_sqlite_codegen.GENERATED_PATH, encoding="utf-8") as handle:
        checked_in = handle.read()
    fresh = _sqlite_codegen.rendered()
    assert checked_in == fresh, (
        "autolog/store/_sqlite_sql.py is out of date with the tables, migrations or hot-path "
        f"statements; regenerate it with: {_sqlite_codegen.REGENERATE}"
    )


def test_generated_head_revision_is_the_newest_migration():
    versions = os.path.join(os.path.dirname(_engine.__file__), "migrations", "versions")
    newest = max(name.split("_")[0] for name in os.listdir(versions) if name[:4].isdigit())
    assert _sqlite_sql.HEAD_REVISION == _schema.HEAD_REVISION == newest


def test_rendered_run_updates_match_sqlalchemy_for_every_column_set():
    dialect = _sqlite_codegen.dialect()
    for size in range(1, len(_UPDATABLE) + 1):
        for columns in itertools.permutations(_UPDATABLE, size) if size <= 2 else [_UPDATABLE[:size]]:
            compiled = str(_hot_path.update_run_statement(columns).compile(dialect=dialect))
            assert _hot_path.render_update_run(columns, _sqlite_sql.RUN_COLUMNS) == compiled


def _sqlalchemy_created(path: str, artifact_location: str) -> None:
    engine = _engine.create_engine(f"sqlite:///{path}")
    _engine.upgrade_to_head(engine, default_artifact_location=artifact_location)
    engine.dispose()


def _dump(path: str) -> dict:
    connection = sqlite3.connect(path)
    try:
        master = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        tables = [row[1] for row in master if row[0] == "table"]
        rows = {table: connection.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()
    for row in rows["experiments"]:
        assert row[4] == row[5] and row[4] > 0  # creation and update time: now
    rows["experiments"] = [row[:4] for row in rows["experiments"]]
    return {"master": master, "rows": rows, "journal": journal}


def test_light_path_creates_the_store_the_sqlalchemy_path_creates(tmp_path):
    light, heavy = str(tmp_path / "light.db"), str(tmp_path / "heavy.db")
    assert _sqlite.open_at_head(light, default_artifact_location="artifacts/0")
    _sqlalchemy_created(heavy, "artifacts/0")
    light_dump, heavy_dump = _dump(light), _dump(heavy)
    assert light_dump["master"] == heavy_dump["master"]
    assert light_dump == heavy_dump
    assert light_dump["journal"] == "wal"
    assert light_dump["rows"]["alembic_version"] == [(_schema.HEAD_REVISION,)]
    assert [name for kind, name, _t, _s in light_dump["master"] if kind == "index"]  # indexes made
    assert os.path.exists(light + ".lock")  # created under the schema lock


def test_light_path_leaves_an_older_revision_to_alembic(tmp_path, upgrade_schema_to):
    path = str(tmp_path / "old.db")
    upgrade_schema_to(f"sqlite:///{path}", "0003")
    assert not _sqlite.open_at_head(path, default_artifact_location="a/0")
    assert _dump_revision(path) == "0003"  # untouched
    store = SqlStore(f"sqlite:///{path}", str(tmp_path / "artifacts"))
    run = store.create_run("0", params={"p": 1})  # migrates through Alembic, then writes
    assert store.get_run(run.info.run_id).data.params == {"p": "1"}
    assert _dump_revision(path) == _schema.HEAD_REVISION
    store.close()


def _dump_revision(path: str) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        connection.close()


def test_every_method_works_on_a_store_the_light_path_created(tmp_path):
    uri, artifacts = f"sqlite:///{tmp_path / 'autolog.db'}", str(tmp_path / "artifacts")
    writer = SqlStore(uri, artifacts)
    run_id = writer.create_run("0", run_name="first", params={"alpha": 0.1}, tags={"t": "v"}).info.run_id
    assert writer._engine is None  # created, and written, without an engine
    writer.finish_run(run_id, metrics={"loss": 0.5})
    writer.close()

    store = SqlStore(uri, artifacts)  # a later process: every other method, through SQLAlchemy
    experiment_id = store.create_experiment("exp", tags={"team": "a"})
    assert store.get_experiment_by_name("exp").experiment_id == experiment_id
    other = store.create_run(experiment_id, run_name="second").info.run_id
    store.log_batch(other, params={"p": "x"}, tags={"k": "v"})
    for step in range(3):
        store.log_metric(other, "m", float(step), step=step)
    assert [m.value for m in store.get_metric_history(other, "m")] == [0.0, 1.0, 2.0]
    found = store.search_runs([experiment_id, "0"], "metrics.loss < 1", max_results=10)
    assert [run.info.run_id for run in found] == [run_id]
    assert store.get_run(run_id).data.params == {"alpha": "0.1"}
    store.artifacts(other).write_bytes("a.txt", b"hello")
    assert [f.path for f in store.artifacts(other).list_artifacts()] == ["a.txt"]
    assert store.count_runs([experiment_id, "0"]) == 2
    assert {run.info.run_id for run in store.get_runs([run_id, other])} == {run_id, other}
    assert store.sample_metric_histories([other], "m")
    store.create_registered_model("model")
    version = store.create_model_version("model", run_id=run_id, artifact_path="model")
    assert store.get_model_version("model", version.version).run_id == run_id
    store.set_registered_model_alias("model", "champion", version.version)
    assert store.get_model_version_by_alias("model", "champion").version == version.version
    store.delete_tag(other, "k")
    store.delete_run(other)
    store.purge_deleted_runs()
    store.delete_experiment(experiment_id)
    assert [e.name for e in store.search_experiments()] == ["Default"]
    store.close()


def _open_concurrently(path: str, artifacts: str, light: bool, start, results) -> None:
    start.wait()
    store = SqlStore(f"sqlite:///{path}", artifacts)
    if light:
        store._hot_writer()
    else:
        store._writer()
    results.put(store.create_run("0").info.run_id)
    store.close()


@pytest.mark.parametrize("mix", ["light", "light-and-sqlalchemy"])
def test_processes_creating_one_store_at_once_leave_one_store(tmp_path, mix):
    path, artifacts = str(tmp_path / "store" / "autolog.db"), str(tmp_path / "artifacts")
    context = multiprocessing.get_context("spawn")
    processes = 4
    start, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(
            target=_open_concurrently,
            args=(path, artifacts, mix == "light" or n % 2 == 0, start, results),
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    run_ids = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    reference = str(tmp_path / "reference.db")
    _sqlalchemy_created(reference, "x")
    dump = _dump(path)
    assert dump["master"] == _dump(reference)["master"]
    assert [row[:2] for row in dump["rows"]["experiments"]] == [(0, "Default")]
    assert sorted(row[0] for row in dump["rows"]["runs"]) == sorted(run_ids)
