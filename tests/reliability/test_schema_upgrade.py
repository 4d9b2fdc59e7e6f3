"""A store written by the previous schema revision opens with this version and upgrades without loss."""

from __future__ import annotations

import math
import os

import pytest
import sqlalchemy as sa

from autolog.store import SqlStore, _engine, _schema, _sqlite

RUN_A, RUN_B = "a" * 32, "b" * 32


def _previous_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config).get_revision(_schema.HEAD_REVISION).down_revision


def _old_store(db_uri: str, revision: str, artifact_root: str) -> None:
    """Build the schema of ``revision`` with the migration chain and fill it as that version did."""
    from alembic import command
    from alembic.config import Config

    path = _engine.sqlite_path(db_uri)
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    engine = _engine.create_engine(_sqlite.normalize_db_uri(db_uri))
    with _engine.write_transaction(engine) as connection:
        config = Config()
        config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        tables = sa.MetaData()
        tables.reflect(connection)
        t = tables.tables
        connection.execute(
            t["experiments"].insert(),
            [
                dict(
                    experiment_id=0,
                    name="Default",
                    artifact_location=f"{artifact_root}/0",
                    lifecycle_stage="active",
                    creation_time=1,
                    last_update_time=1,
                ),
                dict(
                    experiment_id=7,
                    name="old \u00e9xp\u00e9riment",
                    artifact_location=f"{artifact_root}/7",
                    lifecycle_stage="deleted",
                    creation_time=2,
                    last_update_time=3,
                ),
            ],
        )
        connection.execute(t["experiment_tags"].insert(), [dict(experiment_id=7, key="team", value="ml")])
        for run_id, experiment, status in ((RUN_A, 0, "FINISHED"), (RUN_B, 7, "FAILED")):
            connection.execute(
                t["runs"].insert(),
                dict(
                    run_id=run_id,
                    experiment_id=experiment,
                    name=f"run {run_id[0]}",
                    status=status,
                    start_time=10,
                    end_time=20,
                    user_id="u",
                    source="s.py",
                    parent_run_id=None,
                    lifecycle_stage="active" if experiment == 0 else "deleted",
                    artifact_uri=f"{artifact_root}/{experiment}/{run_id}/artifacts",
                    owner_host="h",
                    owner_pid=1,
                    heartbeat_time=15,
                ),
            )
            connection.execute(
                t["params"].insert(), [dict(run_id=run_id, key=f"p{i}", value="v" * i) for i in range(1, 4)]
            )
            connection.execute(
                t["tags"].insert(), [dict(run_id=run_id, key="mlflow.note", value="\u4e2d\u6587")]
            )
            rows = [
                dict(
                    run_id=run_id,
                    key="loss",
                    value=None if step == 2 else 1.0 / (step + 1),
                    is_nan=step == 2,
                    timestamp=100 + step,
                    step=step,
                )
                for step in range(5)
            ]
            connection.execute(t["metrics"].insert(), rows)
            connection.execute(t["latest_metrics"].insert(), rows[-1])
    engine.dispose()


def test_store_of_the_previous_revision_upgrades_without_loss(sql_store):
    """Promise: a store at the previous schema revision (built by the migration chain) opens, is
    upgraded to head, and every experiment, run, param, tag and metric value reads back unchanged."""
    previous = _previous_revision()
    if previous is None:
        pytest.skip("the schema has a single revision")
    fresh = sql_store
    _old_store(fresh.db_uri, previous, fresh.artifact_root)
    fresh.close()
    store = SqlStore(fresh.db_uri, fresh.artifact_root)
    run = store.get_run(RUN_A)
    assert (run.info.run_name, run.info.status, run.info.start_time, run.info.end_time) == (
        "run a",
        "FINISHED",
        10,
        20,
    )
    assert run.data.params == {"p1": "v", "p2": "vv", "p3": "vvv"}
    assert run.data.tags == {"mlflow.note": "\u4e2d\u6587"} and run.data.metrics == {"loss": 0.2}
    history = [(m.step, m.value) for m in store.get_metric_history(RUN_A, "loss")]
    assert history[:2] == [(0, 1.0), (1, 0.5)] and math.isnan(history[2][1]) and len(history) == 5
    deleted = store.get_experiment("7")
    assert (deleted.name, deleted.lifecycle_stage, deleted.tags) == (
        "old \u00e9xp\u00e9riment",
        "deleted",
        {"team": "ml"},
    )
    assert store.get_run(RUN_B).info.lifecycle_stage == "deleted"
    assert [r.info.run_id for r in store.search_runs("0", "params.p2 = 'vv' and metrics.loss < 0.3")] == [
        RUN_A
    ]
    with store._writer().connect() as connection:
        assert _engine.current_revision(connection) == _schema.HEAD_REVISION
    new = store.create_run("0", params={"after": "upgrade"})  # and it is writable at head
    store.log_metric(new.info.run_id, "m", 1.0)
    assert store.count_runs(["0", "7"], view_type="all") == 3
    store.close()
