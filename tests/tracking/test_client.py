"""Client calls against a real directory store (SQLite) and a real PostgreSQL database."""

from __future__ import annotations

import math
import time

import pytest

from autolog import RunStatus, ViewType
from autolog.entities import LifecycleStage, Metric, Param, RunTag
from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError


def _user_tags(run) -> dict:
    return {k: v for k, v in run.data.tags.items() if not k.startswith("autolog.")}


# -- experiments -------------------------------------------------------------------------------


def test_default_experiment_exists(client):
    assert client.get_experiment("0").name == "Default"


def test_experiment_lifecycle(client):
    experiment_id = client.create_experiment("exp", tags={"team": "a"})
    experiment = client.get_experiment(experiment_id)
    assert (experiment.name, experiment.tags) == ("exp", {"team": "a"})
    assert client.get_experiment_by_name("exp").experiment_id == experiment_id
    assert client.get_experiment_by_name("missing") is None
    client.set_experiment_tag(experiment_id, "stage", "dev")
    assert client.get_experiment(experiment_id).tags == {"team": "a", "stage": "dev"}

    client.rename_experiment(experiment_id, "renamed")
    assert client.get_experiment(experiment_id).name == "renamed"
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == LifecycleStage.DELETED
    assert "renamed" not in {e.name for e in client.search_experiments()}
    assert "renamed" in {e.name for e in client.search_experiments(ViewType.DELETED_ONLY)}
    client.restore_experiment(experiment_id)
    assert "renamed" in {e.name for e in client.search_experiments(ViewType.ACTIVE_ONLY)}


def test_experiment_errors(client):
    client.create_experiment("taken")
    with pytest.raises(ConflictError):
        client.create_experiment("taken")
    with pytest.raises(NotFoundError):
        client.get_experiment("12345")


def test_search_experiments_by_name_pattern(client):
    for name in ("alpha-1", "alpha-2", "beta"):
        client.create_experiment(name)
    assert {e.name for e in client.search_experiments(name_like="alpha%")} == {"alpha-1", "alpha-2"}


# -- runs --------------------------------------------------------------------------------------


def test_create_get_and_terminate_run(client):
    run = client.create_run("0", run_name="manual", tags={"t": "1"}, params={"p": 2})
    assert run.info.status == RunStatus.RUNNING and run.info.run_name == "manual"
    assert len(run.info.run_id) == 32
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"p": "2"} and _user_tags(fetched) == {"t": "1"}
    client.set_terminated(run.info.run_id, RunStatus.FAILED, end_time=run.info.start_time + 5)
    ended = client.get_run(run.info.run_id)
    assert ended.info.status == RunStatus.FAILED and ended.info.end_time == run.info.start_time + 5


def test_set_terminated_defaults_and_rejects_bad_status(client):
    run = client.create_run("0")
    with pytest.raises(InvalidInputError, match="RUNNING"):
        client.set_terminated(run.info.run_id, RunStatus.RUNNING)
    with pytest.raises(InvalidInputError):
        client.update_run(run.info.run_id, status="DONE")
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).info.status == RunStatus.FINISHED


def test_create_run_under_a_chosen_id(client):
    chosen = "0f" * 16
    assert client.create_run("0", run_id=chosen).info.run_id == chosen
    with pytest.raises(ConflictError):
        client.create_run("0", run_id=chosen)


def test_create_finished_run_writes_an_ended_run_with_the_process_defaults(client):
    parent = client.create_run("0").info.run_id
    run_id = client.create_finished_run(
        "0",
        status=RunStatus.KILLED,
        run_name="trial-0",
        tags={"t": 1},
        params={"x": 0.5},
        metrics=[Metric("value", 2.0, 10, 0)],
        parent_run_id=parent,
    )
    run = client.get_run(run_id)
    assert (run.info.status, run.info.parent_run_id, run.info.run_name) == (
        RunStatus.KILLED,
        parent,
        "trial-0",
    )
    assert run.info.start_time <= run.info.end_time and run.info.user_id
    assert run.data.params == {"x": "0.5"} and _user_tags(run) == {"t": "1"}
    assert run.data.metrics == {"value": 2.0}


def test_update_run_name(client):
    run = client.create_run("0")
    client.update_run(run.info.run_id, run_name="better")
    assert client.get_run(run.info.run_id).info.run_name == "better"


def test_nested_run_records_parent(client):
    parent = client.create_run("0")
    child = client.create_run("0", parent_run_id=parent.info.run_id)
    assert client.get_run(child.info.run_id).info.parent_run_id == parent.info.run_id


def test_delete_and_restore_run(client):
    run = client.create_run("0")
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert client.search_runs(["0"]) == []
    assert len(client.search_runs(["0"], view_type=ViewType.DELETED_ONLY)) == 1
    client.restore_run(run.info.run_id)
    assert [r.info.run_id for r in client.search_runs("0")] == [run.info.run_id]


def test_unknown_run_is_not_found(client):
    with pytest.raises(NotFoundError):
        client.get_run("f" * 32)


# -- params, metrics, tags ---------------------------------------------------------------------


def test_log_param_metric_tag(client):
    run_id = client.create_run("0").info.run_id
    assert client.log_param(run_id, "C", 0.5) == 0.5
    client.log_param(run_id, "C", 0.5)  # same value again is fine
    with pytest.raises(ConflictError):
        client.log_param(run_id, "C", 1.5)
    client.log_metric(run_id, "loss", 1.0, step=0)
    client.log_metric(run_id, "loss", 0.25, step=1, timestamp=42)
    client.set_tag(run_id, "k", "v")
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    run = client.get_run(run_id)
    assert run.data.params == {"C": "0.5"}
    assert run.data.metrics == {"loss": 0.25}
    assert _user_tags(run) == {"k": "v"}
    history = client.get_metric_history(run_id, "loss")
    assert [(m.value, m.step) for m in history] == [(1.0, 0), (0.25, 1)] and history[1].timestamp == 42


def test_log_batch_is_all_or_nothing(client):
    run_id = client.create_run("0").info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("m", float(i), now, i) for i in range(50)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )
    assert len(client.get_metric_history(run_id, "m")) == 50
    with pytest.raises(InvalidInputError):
        client.log_batch(run_id, metrics=[Metric("fine", 1.0, now, 0)], params=[Param("bad..key/..", "1")])
    run = client.get_run(run_id)
    assert "fine" not in run.data.metrics and run.data.params == {"p": "1"}


def test_nan_and_infinity_round_trip(client):
    run_id = client.create_run("0").info.run_id
    for key, value in (("nan", math.nan), ("inf", math.inf), ("ninf", -math.inf)):
        client.log_metric(run_id, key, value)
    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf and metrics["ninf"] == -math.inf


# -- search ------------------------------------------------------------------------------------


def test_search_runs_filter_order_and_paging(client):
    experiment_id = client.create_experiment("search")
    ids = []
    for index in range(5):
        run = client.create_run(experiment_id, params={"i": index})
        client.log_metric(run.info.run_id, "acc", index / 10)
        ids.append(run.info.run_id)
    found = client.search_runs([experiment_id], "metrics.acc >= 0.2", order_by=["metrics.acc DESC"])
    assert [r.info.run_id for r in found] == [ids[4], ids[3], ids[2]]
    first = client.search_runs([experiment_id], order_by=["metrics.acc"], max_results=2)
    assert len(first) == 2 and first.token is not None
    second = client.search_runs(
        [experiment_id], order_by=["metrics.acc"], max_results=2, page_token=first.token
    )
    third = client.search_runs(
        [experiment_id], order_by=["metrics.acc"], max_results=2, page_token=second.token
    )
    assert [r.info.run_id for r in [*first, *second, *third]] == ids
    assert third.token is None


def test_search_runs_bad_filter_is_invalid_input(client):
    with pytest.raises(InvalidInputError):
        client.search_runs(["0"], "metrics.acc >")


# -- artifacts ---------------------------------------------------------------------------------


def test_artifacts(client, tmp_path):
    run_id = client.create_run("0").info.run_id
    source = tmp_path / "model.bin"
    source.write_bytes(b"\x00\x01")
    client.log_artifact(run_id, str(source), "model")
    client.log_text(run_id, "text", "readme.txt")
    client.log_dict(run_id, {"a": 1}, "meta/info.json")
    entries = {f.path: (f.is_dir, f.file_size) for f in client.list_artifacts(run_id)}
    assert entries["readme.txt"] == (False, 4)
    assert entries["model"][0] and entries["meta"][0]
    assert [f.path for f in client.list_artifacts(run_id, "model")] == ["model/model.bin"]
    local = client.download_artifacts(run_id, "model/model.bin", str(tmp_path / "dl"))
    assert open(local, "rb").read() == b"\x00\x01"
    with pytest.raises(InvalidInputError):
        client.log_text(run_id, "x", "../escape.txt")


def test_finish_run_logs_ends_and_stops_the_heartbeat(client):
    from autolog.tracking._heartbeat import KEEPER

    run_id = client.create_run("0").info.run_id
    assert run_id in KEEPER.run_ids()
    client.finish_run(
        run_id,
        metrics=[Metric("acc", 0.9, 1, 0)],
        tags=[RunTag("t", "1")],
        status=RunStatus.KILLED,
        end_time=777,
    )
    run = client.get_run(run_id)
    assert (run.info.status, run.info.end_time) == (RunStatus.KILLED, 777)
    assert run.data.metrics == {"acc": 0.9} and _user_tags(run) == {"t": "1"}
    assert run_id not in KEEPER.run_ids()


def test_finish_run_rejects_bad_input_and_writes_nothing(client):
    from autolog.tracking._heartbeat import KEEPER

    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidInputError, match="RUNNING"):
        client.finish_run(run_id, status=RunStatus.RUNNING)
    with pytest.raises(InvalidInputError):
        client.finish_run(run_id, metrics=[Metric("ok", 1.0, 1, 0), Metric("bad", "x", 1, 0)])
    with pytest.raises(NotFoundError):
        client.finish_run("e" * 32)
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.RUNNING and run.data.metrics == {}
    assert run_id in KEEPER.run_ids()
    client.finish_run(run_id)
    assert client.get_run(run_id).info.status == RunStatus.FINISHED
