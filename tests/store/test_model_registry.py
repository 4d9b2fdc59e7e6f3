"""Model registry contract of ``SqlStore``, on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.store import SqlStore, _engine, _schema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _register(store, name="churn", run_id=None, **kwargs):
    run_id = run_id or store.create_run("0").info.run_id
    return store.create_model_version(name, run_id=run_id, artifact_path="model", **kwargs)


# --- registered models ---------------------------------------------------------------------------


def test_first_registration_creates_the_model_and_numbers_versions_from_1(store, run_id):
    first = store.create_model_version(
        "churn", run_id=run_id, artifact_path="model", tags={"stage": "dev"}, description="first"
    )
    second = store.create_model_version("churn", run_id=run_id, artifact_path="/model/")
    assert (first.version, second.version) == (1, 2)
    assert first.source == f"runs:/{run_id}/model" and second.artifact_path == "model"
    assert first.status == "READY" and first.tags == {"stage": "dev"} and first.description == "first"
    model = store.get_registered_model("churn")
    assert model.latest_version == 2 and model.aliases == {} and model.description is None
    assert store.get_latest_model_version("churn").version == 2


def test_create_get_update_rename_delete_registered_model(store, run_id):
    created = store.create_registered_model("fraud", tags={"team": "risk"}, description="d")
    assert created.name == "fraud" and created.tags == {"team": "risk"} and created.latest_version is None
    with pytest.raises(ConflictError, match="'fraud' already exists"):
        store.create_registered_model("fraud")
    assert store.update_registered_model("fraud", "better").description == "better"
    store.create_model_version("fraud", run_id=run_id, artifact_path="model", tags={"k": "v"})
    store.set_registered_model_alias("fraud", "champion", 1)

    renamed = store.rename_registered_model("fraud", "fraud-v2")
    assert renamed.aliases == {"champion": 1} and renamed.tags == {"team": "risk"}
    assert store.get_model_version("fraud-v2", 1).tags == {"k": "v"}
    assert store.get_model_version_by_alias("fraud-v2", "champion").version == 1
    with pytest.raises(NotFoundError, match="no registered model named 'fraud'"):
        store.get_registered_model("fraud")
    store.create_registered_model("other")
    with pytest.raises(ConflictError):
        store.rename_registered_model("fraud-v2", "other")

    store.delete_registered_model("fraud-v2")
    with pytest.raises(NotFoundError):
        store.get_model_version("fraud-v2", 1)
    assert store.search_model_versions(run_ids=[run_id]) == []
    assert store.get_run(run_id).info.lifecycle_stage == "active"  # the run stays


def test_model_and_version_tags(store, run_id):
    store.create_model_version("churn", run_id=run_id, artifact_path="model")
    store.set_registered_model_tag("churn", "team", "risk")
    store.set_registered_model_tag("churn", "team", "growth")
    store.set_model_version_tag("churn", 1, "validated", True)
    assert store.get_registered_model("churn").tags == {"team": "growth"}
    assert store.get_model_version("churn", "1").tags == {"validated": "True"}
    store.delete_registered_model_tag("churn", "team")
    store.delete_model_version_tag("churn", 1, "validated")
    assert store.get_registered_model("churn").tags == {}
    with pytest.raises(NotFoundError, match="no tag 'team'"):
        store.delete_registered_model_tag("churn", "team")
    with pytest.raises(InvalidInputError):
        store.set_model_version_tag("churn", 1, "../bad", "x")


def test_search_registered_models(store, run_id):
    for name in ("churn", "churn-eu", "fraud"):
        store.create_registered_model(name)
    store.set_registered_model_tag("fraud", "team", "risk")
    names = lambda models: [m.name for m in models]  # noqa: E731
    assert names(store.search_registered_models()) == ["churn", "churn-eu", "fraud"]
    assert names(store.search_registered_models("name LIKE 'churn%'")) == ["churn", "churn-eu"]
    assert names(store.search_registered_models("name = 'churn'")) == ["churn"]
    assert names(store.search_registered_models("name ILIKE 'CH%' and name != 'churn'")) == ["churn-eu"]
    assert names(store.search_registered_models("tags.team = 'risk'")) == ["fraud"]
    assert names(store.search_registered_models(name_like="%EU")) == ["churn-eu"]
    assert names(store.search_registered_models(max_results=1)) == ["churn"]
    with pytest.raises(InvalidInputError, match="position 0"):
        store.search_registered_models("name; DROP TABLE runs")
    with pytest.raises(InvalidInputError, match="position"):
        store.search_registered_models("name = 'a' or name = 'b'")


# --- versions --------------------------------------------------------------------------------------


def test_get_search_update_delete_versions(store):
    run_a = store.create_run("0").info.run_id
    run_b = store.create_run("0").info.run_id
    for run in (run_a, run_b, run_a):
        store.create_model_version("churn", run_id=run, artifact_path="model")
    store.create_model_version("fraud", run_id=run_b, artifact_path="model")
    assert [v.version for v in store.search_model_versions("churn")] == [3, 2, 1]
    assert [(v.name, v.version) for v in store.search_model_versions(run_ids=[run_b])] == [
        ("churn", 2),
        ("fraud", 1),
    ]
    assert store.update_model_version("churn", 2, "best so far").description == "best so far"

    store.set_registered_model_alias("churn", "champion", 3)
    store.delete_model_version("churn", 3)
    assert store.get_registered_model("churn").aliases == {}  # the alias went with it
    assert store.get_registered_model("churn").latest_version == 2
    # The number of a deleted version is never given to another model.
    assert store.create_model_version("churn", run_id=run_b, artifact_path="model").version == 4


def test_aliases_move_and_resolve(store, run_id):
    for _ in range(3):
        store.create_model_version("churn", run_id=run_id, artifact_path="model")
    store.set_registered_model_alias("churn", "champion", 1)
    store.set_registered_model_alias("churn", "challenger", "2")
    assert store.get_model_version_by_alias("churn", "champion").version == 1
    store.set_registered_model_alias("churn", "champion", 3)  # move
    assert store.get_model_version_by_alias("churn", "champion").version == 3
    assert store.get_registered_model("churn").aliases == {"challenger": 2, "champion": 3}
    assert store.get_model_version("churn", 3).aliases == ("champion",)
    assert store.get_model_version("churn", 1).aliases == ()
    store.delete_registered_model_alias("churn", "challenger")
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        store.get_model_version_by_alias("churn", "challenger")
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        store.delete_registered_model_alias("churn", "challenger")
    with pytest.raises(NotFoundError, match="has no version 9"):
        store.set_registered_model_alias("churn", "champion", 9)


@pytest.mark.parametrize(
    "bad_name", ["", "a/b", "a@b", "runs:x", " lead", "trail ", "..", 7, None, "x" * 257]
)
def test_bad_model_names_are_refused_naming_them(store, run_id, bad_name):
    with pytest.raises(InvalidInputError, match="model name"):
        store.create_model_version(bad_name, run_id=run_id, artifact_path="model")
    with pytest.raises(InvalidInputError, match="model name"):
        store.create_registered_model(bad_name)


@pytest.mark.parametrize("bad_alias", ["latest", "LATEST", "3", "", "a b", "a/b", "a@b"])
def test_bad_aliases_are_refused(store, run_id, bad_alias):
    store.create_model_version("churn", run_id=run_id, artifact_path="model")
    with pytest.raises(InvalidInputError, match="alias"):
        store.set_registered_model_alias("churn", bad_alias, 1)


def test_unknown_models_versions_and_bad_versions(store, run_id):
    with pytest.raises(NotFoundError, match="no registered model named 'nope'"):
        store.get_model_version("nope", 1)
    with pytest.raises(NotFoundError, match="no registered model named 'nope'"):
        store.get_model_version_by_alias("nope", "champion")
    store.create_registered_model("empty")
    with pytest.raises(NotFoundError, match="'empty' has no versions"):
        store.get_latest_model_version("empty")
    with pytest.raises(NotFoundError, match="'empty' has no version 2"):
        store.get_model_version("empty", 2)
    for bad in (0, -1, "x", "1.5", 1.0, True):
        with pytest.raises(InvalidInputError, match="invalid model version"):
            store.get_model_version("empty", bad)
    with pytest.raises(NotFoundError, match="no run"):
        store.create_model_version("churn", run_id="0" * 32, artifact_path="model")
    with pytest.raises(InvalidInputError, match="artifact path"):
        store.create_model_version("churn", run_id=run_id, artifact_path="../x")
    assert store.search_registered_models("name = 'churn'") == []  # nothing half-written


# --- runs that versions point to --------------------------------------------------------------------


def test_deleting_a_registered_run_is_refused_unless_forced(store, run_id):
    _register(store, run_id=run_id)
    _register(store, run_id=run_id)
    with pytest.raises(
        ConflictError, match=rf"run {run_id} is the source of model version\(s\) churn/1, churn/2"
    ):
        store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "active"
    store.delete_run(run_id, force=True)
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    # gc keeps it while a version points to it; naming it explicitly is refused.
    assert store.purge_deleted_runs() == []
    with pytest.raises(ConflictError, match="churn/1"):
        store.purge_deleted_runs([run_id])
    assert store.get_model_version("churn", 1).run_id == run_id
    store.delete_registered_model("churn")
    assert store.purge_deleted_runs() == [run_id]


def test_deleted_run_cannot_be_registered(store, run_id):
    store.delete_run(run_id)
    with pytest.raises(ConflictError, match="deleted"):
        _register(store, run_id=run_id)


# --- concurrency -------------------------------------------------------------------------------------

_REGISTER_SCRIPT = textwrap.dedent("""
    import sys
    from autolog.store import SqlStore
    store = SqlStore(sys.argv[1], sys.argv[2])
    run_id = store.create_run("0").info.run_id
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for _ in range(10):
        print(store.create_model_version("shared", run_id=run_id, artifact_path="model").version, flush=True)
""")


def test_concurrent_registration_from_four_processes_numbers_1_to_40(sql_store):
    store = sql_store
    store.create_run("0")  # schema exists before the processes race
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER_SCRIPT, store.db_uri, store.artifact_root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    numbers = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        numbers += [int(line) for line in out.split()]
    assert sorted(numbers) == list(range(1, 41))
    assert sorted(v.version for v in store.search_model_versions("shared")) == list(range(1, 41))


# --- migration 0001 -> 0002 --------------------------------------------------------------------------


def test_store_at_revision_1_with_a_run_upgrades_on_open_and_registers(
    sql_store, upgrade_schema_to, tmp_path
):
    store = sql_store
    upgrade_schema_to(store.db_uri, "0001")
    run_id = "a" * 32
    engine = _engine.create_engine(store.db_uri)
    with _engine.write_transaction(engine) as connection:
        _engine._insert_default_experiment(connection, str(tmp_path / "artifacts" / "0"))
        connection.execute(
            sa.insert(_schema.runs).values(
                run_id=run_id,
                experiment_id=0,
                name="old",
                status="FINISHED",
                start_time=1,
                end_time=2,
                lifecycle_stage="active",
                artifact_uri=str(tmp_path / "artifacts" / "0" / run_id / "artifacts"),
            )
        )
        connection.execute(sa.insert(_schema.params).values(run_id=run_id, key="C", value="1.0"))
        connection.execute(
            sa.insert(_schema.metrics).values(
                run_id=run_id, key="acc", value=0.9, is_nan=False, timestamp=1, step=0
            )
        )
        connection.execute(
            sa.insert(_schema.latest_metrics).values(
                run_id=run_id, key="acc", value=0.9, is_nan=False, timestamp=1, step=0
            )
        )
    engine.dispose()
    store.close()

    reopened = SqlStore(store.db_uri, store.artifact_root)
    run = reopened.get_run(run_id)
    assert (run.info.run_name, run.data.params, run.data.metrics) == ("old", {"C": "1.0"}, {"acc": 0.9})
    assert reopened.create_model_version("churn", run_id=run_id, artifact_path="model").version == 1
    with reopened._writer().connect() as connection:
        assert _engine.current_revision(connection) == _schema.HEAD_REVISION
    reopened.close()
