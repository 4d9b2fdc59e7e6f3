import math
import time
import warnings

import pytest

from autolog._core._validation import TRUNCATION_MARKER
from autolog.entities import LifecycleStage, Metric, Param, RunStatus, RunTag
from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError


def test_create_run_records_everything(store):
    parent = store.create_run("0").info.run_id
    run = store.create_run(
        "0",
        run_name="r1",
        start_time=123,
        tags={"t": "x"},
        params={"C": 1.5},
        parent_run_id=parent,
        user_id="ann",
        source="train.py",
    )
    info = run.info
    assert len(info.run_id) == 32 and int(info.run_id, 16) >= 0
    assert (info.run_name, info.status, info.start_time, info.end_time) == ("r1", "RUNNING", 123, None)
    assert (info.user_id, info.source, info.parent_run_id) == ("ann", "train.py", parent)
    assert info.artifact_uri == f"{store.get_experiment('0').artifact_location}/{info.run_id}/artifacts"
    assert run.data.params == {"C": "1.5"} and run.data.tags == {"t": "x"}
    assert store.get_run(info.run_id) == run


def test_create_run_keeps_a_given_id_once(store):
    kept = "0123456789abcdef" * 2
    run = store.create_run("0", run_id=kept, start_time=5)
    assert run.info.run_id == kept and store.get_run(kept).info.start_time == 5
    with pytest.raises(ConflictError, match=kept):
        store.create_run("0", run_id=kept)
    with pytest.raises(InvalidInputError, match="32 lowercase hex"):
        store.create_run("0", run_id="ABC")
    assert store.count_runs("0") == 1


def test_create_run_is_atomic(store):
    with pytest.raises(InvalidInputError, match="'bad key!'"):
        store.create_run("0", params={"ok": 1, "bad key!": 2})
    with pytest.raises(NotFoundError):
        store.create_run("0", parent_run_id="f" * 32)
    assert store.count_runs("0") == 0


def test_get_unknown_run(store):
    with pytest.raises(NotFoundError, match="'0123'"):
        store.get_run("0123")
    with pytest.raises(NotFoundError):
        store.log_metric("a" * 32, "m", 1.0)
    with pytest.raises(NotFoundError):
        store.update_run("a" * 32, status="FINISHED")


def test_update_run(store, run_id):
    store.update_run(run_id, status=RunStatus.FINISHED, end_time=999, run_name="renamed")
    info = store.get_run(run_id).info
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 999, "renamed")
    with pytest.raises(InvalidInputError, match="'DONE'"):
        store.update_run(run_id, status="DONE")


def test_delete_restore_run(store, run_id):
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ConflictError, match="deleted"):
        store.log_metric(run_id, "m", 1.0)
    store.restore_run(run_id)
    store.log_metric(run_id, "m", 1.0)
    with pytest.raises(NotFoundError):
        store.delete_run("b" * 32)


def test_metrics_history_and_latest(store, run_id):
    store.log_metric(run_id, "loss", 3.0, step=0, timestamp=10)
    store.log_metric(run_id, "loss", 1.0, step=2, timestamp=5)
    store.log_metric(run_id, "loss", 2.0, step=1, timestamp=30)  # older step: not the latest
    assert store.get_run(run_id).data.metrics == {"loss": 1.0}
    history = store.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [(0, 3.0, 10), (1, 2.0, 30), (2, 1.0, 5)]
    assert store.get_metric_history(run_id, "other") == []
    with pytest.raises(NotFoundError):
        store.get_metric_history("c" * 32, "loss")


def test_latest_metric_ties_break_by_timestamp(store, run_id):
    store.log_metric(run_id, "m", 1.0, step=5, timestamp=20)
    store.log_metric(run_id, "m", 2.0, step=5, timestamp=10)
    assert store.get_run(run_id).data.metrics["m"] == 1.0
    store.log_metric(run_id, "m", 3.0, step=5, timestamp=20)
    assert store.get_run(run_id).data.metrics["m"] == 3.0


def test_nan_and_infinities_round_trip(store, run_id):
    store.log_metric(run_id, "nan", float("nan"))
    store.log_metric(run_id, "pinf", float("inf"))
    store.log_batch(run_id, metrics=[Metric("ninf", float("-inf"), 1, 0)])
    metrics = store.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf
    assert math.isnan(store.get_metric_history(run_id, "nan")[0].value)
    [found] = store.search_runs("0", "metrics.pinf > 1e308 and metrics.ninf < -1e308")
    assert found.info.run_id == run_id


@pytest.mark.parametrize("value", [True, "1.0", None, [1], 1 + 2j])
def test_metric_value_must_be_a_real_number(store, run_id, value):
    with pytest.raises(InvalidInputError, match="'m'.*real number"):
        store.log_metric(run_id, "m", value)


def test_metric_accepts_ints_and_numpy(store, run_id):
    np = pytest.importorskip("numpy")
    store.log_metric(run_id, "i", 3)
    store.log_metric(run_id, "f32", np.float32(0.5), step=np.int64(4))
    assert store.get_run(run_id).data.metrics == {"i": 3.0, "f32": 0.5}


@pytest.mark.parametrize("key", ["", "../up", "/abs", "a..b", "x" * 251, "tab\tkey", "é", 5])
def test_bad_keys_are_rejected_naming_the_key(store, run_id, key):
    with pytest.raises(InvalidInputError) as caught:
        store.log_param(run_id, key, "v")
    assert repr(key)[:20] in str(caught.value) or type(key).__name__ in str(caught.value)
    with pytest.raises(InvalidInputError):
        store.log_metric(run_id, key, 1.0)
    with pytest.raises(InvalidInputError):
        store.set_tag(run_id, key, "v")


def test_good_keys(store, run_id):
    for key in ("a", "val/loss", "a.b-c_d:e f", "x" * 250):
        store.log_metric(run_id, key, 1.0)
    assert len(store.get_run(run_id).data.metrics) == 4


def test_params_are_immutable(store, run_id):
    store.log_param(run_id, "C", 1.0)
    store.log_param(run_id, "C", "1.0")  # same value again is fine
    with pytest.raises(ConflictError) as caught:
        store.log_batch(
            run_id, params=[Param("new", "x"), Param("C", "2.0")], metrics=[Metric("m", 1.0, 1, 0)]
        )
    message = str(caught.value)
    assert "'C'" in message and "'1.0'" in message and "'2.0'" in message
    run = store.get_run(run_id)
    assert run.data.params == {"C": "1.0"} and run.data.metrics == {}  # nothing of that batch


def test_param_given_twice_in_one_batch(store, run_id):
    with pytest.raises(InvalidInputError, match="'k'"):
        store.log_batch(run_id, params=[("k", "1"), ("k", "2")])


def test_truncation_warns_once(store, run_id):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store.log_batch(run_id, params={"p1": "x" * 7000, "p2": "y" * 6001}, tags={"t": "z" * 9000})
    assert len([w for w in caught if issubclass(w.category, UserWarning)]) == 2  # params, tags
    data = store.get_run(run_id).data
    assert len(data.params["p1"]) == 6000 and data.params["p1"].endswith(TRUNCATION_MARKER)
    assert len(data.tags["t"]) == 8000 and data.tags["t"].endswith(TRUNCATION_MARKER)
    with pytest.warns(UserWarning, match="'p1'"):
        store.log_param(run_id, "p1", "x" * 7000)  # the same long value again is not a conflict
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store.log_param(run_id, "short", "x" * 6000)


def test_tags(store, run_id):
    store.set_tag(run_id, "t", "1")
    store.set_tag(run_id, "t", "2")
    store.log_batch(run_id, tags=[RunTag("u", "3")])
    assert store.get_run(run_id).data.tags == {"t": "2", "u": "3"}
    store.delete_tag(run_id, "t")
    assert store.get_run(run_id).data.tags == {"u": "3"}
    with pytest.raises(NotFoundError, match="'t'"):
        store.delete_tag(run_id, "t")


def test_log_batch_validates_everything_first(store, run_id):
    with pytest.raises(InvalidInputError):
        store.log_batch(
            run_id,
            metrics=[Metric("ok", 1.0, 1, 0), Metric("bad", "x", 1, 0)],
            params={"p": 1},
            tags={"t": "v"},
        )
    run = store.get_run(run_id)
    assert (run.data.metrics, run.data.params, run.data.tags) == ({}, {}, {})


class _Key(str):
    """A str subclass equal to a valid key: still rejected (keys must be exactly str)."""


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (Metric("a/../b", 1.0, 1, 0), "'a/../b'"),
        (Metric(_Key("m0"), 1.0, 1, 0), "must be a string"),
        (Metric(7, 1.0, 1, 0), "must be a string"),
        (Metric("m1", True, 1, 0), "'m1' must be a real number"),
        (Metric("m1", 1.0, 1.5, 0), "timestamp of 'm1'"),
        (Metric("m1", 1.0, 1, 2**63), "step of 'm1'"),
        (Metric("m1", 1.0, 1, -(2**63)), "step of 'm1'"),
        ("not a metric", "expected a Metric"),
    ],
)
def test_log_batch_rejects_a_bad_item_among_many_repeated_keys(store, run_id, bad, fragment):
    good = [Metric(f"m{i % 3}", float(i), 1000 + i, i) for i in range(30)]
    with pytest.raises(InvalidInputError, match=fragment):
        store.log_batch(run_id, metrics=good[:20] + [bad] + good[20:])
    assert store.get_run(run_id).data.metrics == {}
    assert store.get_metric_history(run_id, "m0") == []


def test_log_batch_values_and_latest(store, run_id):
    metrics = [
        Metric("a", float("nan"), 5, 1),
        Metric("a", 2, 5, 0),
        Metric("b", float("inf"), 1, 0),
        Metric("b", -float("inf"), 1, 0),
        Metric("c", 3, 7, 2),
        Metric("c", 4.5, 7, 2),
        Metric("d", float("nan"), 1, 0),
        Metric("e", 2**70, 1, 0),
    ]
    store.log_batch(run_id, metrics=metrics)
    latest = store.get_run(run_id).data.metrics
    assert math.isnan(latest["a"]) and latest["b"] == -math.inf and latest["c"] == 4.5
    assert math.isnan(latest["d"]) and latest["e"] == float(2**70)
    history = store.get_metric_history(run_id, "a")
    assert [(m.step, m.value) for m in history][0] == (0, 2.0) and math.isnan(history[1].value)
    assert [m.value for m in store.get_metric_history(run_id, "c")] == [3.0, 4.5]


def test_log_batch_of_many_metrics(store, run_id):
    metrics = [Metric(f"m{i % 10}", float(i), 1000 + i, i) for i in range(1000)]
    store.log_batch(run_id, metrics=metrics, params={"a": 1}, tags={"b": 2})
    assert len(store.get_metric_history(run_id, "m3")) == 100
    run = store.get_run(run_id)
    assert run.data.metrics["m9"] == 999.0 and run.data.params == {"a": "1"}
    store.log_batch(run_id, metrics={"d": 0.5})
    assert store.get_run(run_id).data.metrics["d"] == 0.5


def test_heartbeat_staleness(store, run_id, monkeypatch):
    # The window must outlast the calls between a heartbeat and the reads after it, also on a
    # busy machine (50 ms did not always); over HTTP a call takes longer still.
    window = 0.4 if hasattr(store, "db_uri") else 1.0
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", str(window))
    finished = store.create_run("0").info.run_id
    store.update_run(finished, status="FINISHED")
    time.sleep(window * 2.4)
    assert store.get_run(run_id).info.status == RunStatus.KILLED
    assert store.get_run(finished).info.status == RunStatus.FINISHED
    killed = store.search_runs("0", "attributes.status = 'KILLED'")
    assert [r.info.run_id for r in killed] == [run_id]
    assert store.search_runs("0", "attributes.status = 'RUNNING'") == []
    store.heartbeat([run_id])
    assert store.get_run(run_id).info.status == RunStatus.RUNNING
    assert [r.info.run_id for r in store.search_runs("0", "status = 'RUNNING'")] == [run_id]
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", "3600")
    time.sleep(window * 2.4)
    assert store.get_run(run_id).info.status == RunStatus.RUNNING


def test_purge_deleted_runs(store):
    keep = store.create_run("0").info.run_id
    gone = store.create_run("0").info.run_id
    for run_id in (keep, gone):
        store.log_batch(run_id, metrics={"m": 1.0}, params={"p": 1}, tags={"t": 1})
        store.artifacts(run_id).write_bytes("a.txt", b"x")
    with pytest.raises(ConflictError):
        store.purge_deleted_runs([keep])
    store.delete_run(gone)
    run_dir = store.get_run(gone).info.artifact_uri.rsplit("/", 1)[0]
    assert store.purge_deleted_runs() == [gone]
    with pytest.raises(NotFoundError):
        store.get_run(gone)
    import os

    assert not os.path.exists(run_dir)
    assert store.artifacts(keep).list_artifacts()[0].path == "a.txt"
    assert store.purge_deleted_runs() == []
    with pytest.raises(NotFoundError):
        store.purge_deleted_runs([gone])


def test_finish_run_logs_and_ends_in_one_call(store, run_id):
    store.finish_run(
        run_id,
        metrics=[Metric("acc", 0.5, 10, 0), Metric("acc", 0.75, 11, 1), Metric("loss", float("nan"), 10, 0)],
        tags=[RunTag("u", "1"), ("v", 2)],
        status=RunStatus.FAILED,
        end_time=1234,
    )
    run = store.get_run(run_id)
    assert (run.info.status, run.info.end_time) == (RunStatus.FAILED, 1234)
    assert run.data.metrics["acc"] == 0.75 and math.isnan(run.data.metrics["loss"])
    assert [m.value for m in store.get_metric_history(run_id, "acc")] == [0.5, 0.75]
    assert run.data.tags == {"u": "1", "v": "2"}


def test_finish_run_defaults_end_time_and_needs_nothing_to_log(store, run_id):
    before = int(time.time() * 1000)
    store.finish_run(run_id)
    info = store.get_run(run_id).info
    assert info.status == RunStatus.FINISHED and before <= info.end_time <= int(time.time() * 1000) + 1


def test_finish_run_validates_everything_first(store, run_id):
    with pytest.raises(InvalidInputError):
        store.finish_run(run_id, metrics=[Metric("ok", 1.0, 1, 0), Metric("bad", "x", 1, 0)], tags={"t": "v"})
    with pytest.raises(InvalidInputError, match="'bad key!'"):
        store.finish_run(run_id, tags={"bad key!": "v"})
    with pytest.raises(InvalidInputError, match="RUNNING"):
        store.finish_run(run_id, status=RunStatus.RUNNING)
    with pytest.raises(InvalidInputError):
        store.finish_run(run_id, status="DONE")
    with pytest.raises(InvalidInputError):
        store.finish_run(run_id, end_time="soon")
    run = store.get_run(run_id)
    assert (run.info.status, run.info.end_time) == (RunStatus.RUNNING, None)
    assert (run.data.metrics, run.data.tags) == ({}, {})


def test_finish_run_unknown_or_deleted_run(store, run_id):
    with pytest.raises(NotFoundError):
        store.finish_run("a" * 32, metrics={"m": 1.0})
    with pytest.raises(NotFoundError):
        store.finish_run("\x00bad")
    store.delete_run(run_id)
    with pytest.raises(ConflictError, match="deleted"):
        store.finish_run(run_id, tags={"t": "1"})
    store.restore_run(run_id)
    assert store.get_run(run_id).info.status == RunStatus.RUNNING


def test_update_run_each_field_alone_and_resume(store, run_id):
    store.update_run(run_id, run_name="only-name")
    store.update_run(run_id, end_time=55)
    store.update_run(run_id, status=RunStatus.KILLED)
    info = store.get_run(run_id).info
    assert (info.run_name, info.end_time, info.status) == ("only-name", 55, RunStatus.KILLED)
    store.update_run(run_id, status=RunStatus.RUNNING)
    assert store.get_run(run_id).info.status == RunStatus.RUNNING
    store.update_run(run_id)  # nothing to change: only checks the run exists
    with pytest.raises(NotFoundError):
        store.update_run("c" * 32)
    with pytest.raises(NotFoundError):
        store.update_run("c" * 32, end_time=1)


def test_create_run_in_unknown_or_deleted_experiment(store):
    with pytest.raises(NotFoundError):
        store.create_run("42")
    experiment_id = store.create_experiment("gone")
    store.delete_experiment(experiment_id)
    with pytest.raises(ConflictError, match="deleted"):
        store.create_run(experiment_id)
    assert store.count_runs([experiment_id], view_type="all") == 0


def test_artifacts_of_a_run(sql_store):
    store = sql_store
    run_id = store.create_run("0").info.run_id
    repository = store.artifacts(run_id)
    assert repository.local_path("") == store.get_run(run_id).info.artifact_uri
    other = store.create_run("0").info.run_id
    assert store.artifacts(other).local_path("") == store.get_run(other).info.artifact_uri
    with pytest.raises(NotFoundError, match="'d{32}'".replace("d{32}", "d" * 32)):
        store.artifacts("d" * 32)
    with pytest.raises(NotFoundError):
        store.artifacts("\x00")


def test_artifacts_of_a_purged_run_is_not_found(store, run_id):
    store.artifacts(run_id).write_bytes("a.txt", b"x")
    store.delete_run(run_id)
    store.purge_deleted_runs([run_id])
    with pytest.raises(NotFoundError):
        store.artifacts(run_id)


def test_artifacts_of_a_run_created_by_another_store_object(sql_store):
    from autolog.store import SqlStore

    run_id = sql_store.create_run("0").info.run_id
    fresh = SqlStore(sql_store.db_uri, sql_store.artifact_root)
    try:
        assert fresh.artifacts(run_id).local_path("") == sql_store.get_run(run_id).info.artifact_uri
    finally:
        fresh.close()


def test_create_finished_run_writes_the_whole_run(store):
    parent = store.create_run("0").info.run_id
    run_id = store.create_finished_run(
        "0",
        status=RunStatus.FAILED,
        end_time=2000,
        run_name="trial-3",
        start_time=1000,
        tags={"t": "x"},
        params=[Param("lr", "0.1"), ("depth", 3)],
        metrics=[
            Metric("loss", 0.5, 1500, 0),
            Metric("loss", 0.25, 1600, 1),
            Metric("value", float("nan"), 1900, 0),
        ],
        parent_run_id=parent,
        user_id="ann",
        source="tune.py",
    )
    run = store.get_run(run_id)
    info = run.info
    assert (info.run_name, info.status, info.start_time, info.end_time) == ("trial-3", "FAILED", 1000, 2000)
    assert (info.user_id, info.source, info.parent_run_id) == ("ann", "tune.py", parent)
    assert info.artifact_uri == f"{store.get_experiment('0').artifact_location}/{run_id}/artifacts"
    assert run.data.params == {"lr": "0.1", "depth": "3"} and run.data.tags == {"t": "x"}
    assert run.data.metrics["loss"] == 0.25 and math.isnan(run.data.metrics["value"])
    assert [(m.step, m.value) for m in store.get_metric_history(run_id, "loss")] == [(0, 0.5), (1, 0.25)]
    assert [r.info.run_id for r in store.search_runs(["0"], "tags.t = 'x'")] == [run_id]


def test_create_finished_run_keeps_a_given_id_and_defaults_end_time(store):
    chosen = "ab" * 16
    before = int(time.time() * 1000)
    assert store.create_finished_run("0", run_id=chosen) == chosen
    info = store.get_run(chosen).info
    assert info.status == RunStatus.FINISHED and before <= info.end_time <= int(time.time() * 1000) + 1
    with pytest.raises(ConflictError):
        store.create_finished_run("0", run_id=chosen)


def test_create_finished_run_writes_nothing_on_bad_input(store):
    def count() -> int:
        return len(store.search_runs(["0"], view_type="all"))

    with pytest.raises(InvalidInputError, match="RUNNING"):
        store.create_finished_run("0", status=RunStatus.RUNNING)
    with pytest.raises(InvalidInputError):
        store.create_finished_run("0", metrics=[Metric("ok", 1.0, 1, 0), Metric("bad", "x", 1, 0)])
    with pytest.raises(InvalidInputError, match="'bad key!'"):
        store.create_finished_run("0", params={"bad key!": "v"})
    with pytest.raises(InvalidInputError):
        store.create_finished_run("0", end_time="soon")
    with pytest.raises(NotFoundError):
        store.create_finished_run("0", parent_run_id="cd" * 16)
    with pytest.raises(NotFoundError):
        store.create_finished_run("12345")
    assert count() == 0
