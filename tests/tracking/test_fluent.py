"""The fluent API on a real directory store (SQLite + files)."""

from __future__ import annotations

import json
import math
import sys
import threading
import time

import pytest

import autolog
from autolog import RunStatus, ViewType
from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.tracking._heartbeat import KEEPER


@pytest.fixture(autouse=True)
def store_dir(tmp_path):
    """Every test here logs into a fresh directory store set with set_tracking_uri."""
    path = tmp_path / "store"
    autolog.set_tracking_uri(str(path))
    return path


def _fresh(run_id: str):
    return autolog.get_run(run_id)


# -- run lifecycle -----------------------------------------------------------------------------


def test_start_run_as_context_manager_ends_finished():
    with autolog.start_run(run_name="first") as run:
        assert autolog.active_run() is run
        assert isinstance(run, autolog.Run) and run.info.status == RunStatus.RUNNING
        assert run.info.run_name == "first" and run.info.experiment_id == "0"
    assert autolog.active_run() is None
    stored = _fresh(run.info.run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.info.end_time is not None and stored.info.end_time >= stored.info.start_time


def test_exception_marks_failed_and_propagates():
    with pytest.raises(ZeroDivisionError), autolog.start_run() as run:
        1 / 0
    assert _fresh(run.info.run_id).info.status == RunStatus.FAILED
    assert autolog.active_run() is None


def test_keyboard_interrupt_marks_killed():
    with pytest.raises(KeyboardInterrupt), autolog.start_run() as run:
        raise KeyboardInterrupt
    assert _fresh(run.info.run_id).info.status == RunStatus.KILLED


def test_end_run_with_status_and_end_run_inside_with_block():
    run = autolog.start_run()
    autolog.end_run(RunStatus.FAILED)
    assert _fresh(run.info.run_id).info.status == RunStatus.FAILED
    autolog.end_run()  # no active run: no-op
    with autolog.start_run() as second:
        autolog.end_run(RunStatus.KILLED)
    assert _fresh(second.info.run_id).info.status == RunStatus.KILLED, "the with-exit does not overwrite it"


def test_starting_a_second_run_needs_nested():
    with autolog.start_run() as outer:
        with pytest.raises(ConflictError, match="nested=True"):
            autolog.start_run()
        assert autolog.active_run() is outer


def test_nested_run_gets_parent_and_stack_unwinds():
    with autolog.start_run() as parent:
        with autolog.start_run(nested=True) as child:
            assert autolog.active_run() is child
            assert child.info.parent_run_id == parent.info.run_id
        assert autolog.active_run() is parent
    assert _fresh(child.info.run_id).info.parent_run_id == parent.info.run_id
    assert _fresh(child.info.run_id).info.status == RunStatus.FINISHED


def test_leaving_parent_by_exception_ends_open_children_too():
    with pytest.raises(RuntimeError), autolog.start_run() as parent:
        child = autolog.start_run(nested=True)
        raise RuntimeError("boom")
    assert _fresh(parent.info.run_id).info.status == RunStatus.FAILED
    assert _fresh(child.info.run_id).info.status == RunStatus.FAILED
    assert autolog.active_run() is None


def test_resume_by_run_id_sets_running_and_keeps_data():
    with autolog.start_run() as run:
        autolog.log_metric("loss", 1.0, step=0)
    with autolog.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert _fresh(run.info.run_id).info.status == RunStatus.RUNNING
        autolog.log_metric("loss", 0.5, step=1)
    stored = _fresh(run.info.run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert [m.value for m in autolog.Client().get_metric_history(run.info.run_id, "loss")] == [1.0, 0.5]


def test_resume_unknown_or_deleted_run_fails_clearly():
    with pytest.raises(NotFoundError):
        autolog.start_run(run_id="0" * 32)
    with autolog.start_run() as run:
        pass
    autolog.Client().delete_run(run.info.run_id)
    with pytest.raises(ConflictError, match="deleted"):
        autolog.start_run(run_id=run.info.run_id)
    assert autolog.active_run() is None


def test_logging_without_active_run_starts_one():
    autolog.log_metric("acc", 0.5)
    run = autolog.active_run()
    assert run is not None
    autolog.end_run()
    assert _fresh(run.info.run_id).data.metrics == {"acc": 0.5}


def test_last_active_run_returns_fresh_data():
    assert autolog.last_active_run() is None
    with autolog.start_run() as run:
        autolog.log_param("a", 1)
        assert autolog.last_active_run().data.params == {"a": "1"}
    last = autolog.last_active_run()
    assert last.info.run_id == run.info.run_id and last.info.status == RunStatus.FINISHED


# -- per-thread stacks -------------------------------------------------------------------------


def test_each_thread_has_its_own_active_run():
    barrier = threading.Barrier(2)
    seen: dict[str, tuple] = {}
    errors = []

    def worker(name: str) -> None:
        try:
            with autolog.start_run(run_name=name) as run:
                barrier.wait(timeout=10)  # both runs active at the same time
                autolog.log_param("worker", name)
                autolog.log_metric("value", len(name))
                seen[name] = (run.info.run_id, autolog.active_run().info.run_id)
                barrier.wait(timeout=10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "three")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert autolog.active_run() is None, "a run started in another thread is not active here"
    for name, (run_id, active_id) in seen.items():
        assert run_id == active_id
        stored = _fresh(run_id)
        assert stored.data.params == {"worker": name}
        assert stored.data.metrics == {"value": len(name)}
        assert stored.info.status == RunStatus.FINISHED
    assert seen["one"][0] != seen["three"][0]


# -- experiments -------------------------------------------------------------------------------


def test_set_experiment_creates_it_and_new_runs_land_there():
    experiment = autolog.set_experiment("demo")
    assert experiment.name == "demo"
    assert autolog.set_experiment("demo").experiment_id == experiment.experiment_id
    with autolog.start_run() as run:
        pass
    assert run.info.experiment_id == experiment.experiment_id
    assert autolog.set_experiment(experiment_id=experiment.experiment_id).name == "demo"
    assert autolog.get_experiment(experiment.experiment_id).name == "demo"
    assert autolog.get_experiment_by_name("demo").experiment_id == experiment.experiment_id


def test_set_experiment_argument_errors():
    with pytest.raises(InvalidInputError):
        autolog.set_experiment()
    with pytest.raises(InvalidInputError):
        autolog.set_experiment("x", experiment_id="0")
    with pytest.raises(NotFoundError):
        autolog.set_experiment(experiment_id="987")


def test_set_experiment_refuses_a_deleted_experiment():
    experiment_id = autolog.create_experiment("gone")
    autolog.Client().delete_experiment(experiment_id)
    with pytest.raises(ConflictError, match="deleted"):
        autolog.set_experiment("gone")


def test_experiment_from_environment(monkeypatch):
    monkeypatch.setenv("AUTOLOG_EXPERIMENT_NAME", "from-env")
    with autolog.start_run() as run:
        pass
    assert autolog.get_experiment(run.info.experiment_id).name == "from-env"


def test_explicit_experiment_id_wins():
    experiment_id = autolog.create_experiment("explicit")
    with autolog.start_run(experiment_id=experiment_id) as run:
        pass
    assert run.info.experiment_id == experiment_id


# -- params, metrics, tags ---------------------------------------------------------------------


def test_params_are_stringified_and_immutable():
    with autolog.start_run() as run:
        assert autolog.log_param("C", 1.0) == 1.0
        autolog.log_params({"penalty": "l2", "max_iter": 100, "C": 1.0})
        with pytest.raises(ConflictError):
            autolog.log_param("C", 2.0)
    assert _fresh(run.info.run_id).data.params == {"C": "1.0", "penalty": "l2", "max_iter": "100"}


def test_log_metric_defaults_step_zero_and_timestamp_now():
    before = int(time.time() * 1000)
    with autolog.start_run() as run:
        autolog.log_metric("acc", 0.9)
        autolog.log_metric("acc", 0.95, step=3, timestamp=1234)
    after = int(time.time() * 1000)
    first, second = autolog.Client().get_metric_history(run.info.run_id, "acc")
    assert first.step == 0 and before <= first.timestamp <= after
    assert (second.value, second.step, second.timestamp) == (0.95, 3, 1234)


def test_log_metrics_is_one_batch_with_shared_step_and_timestamp():
    with autolog.start_run() as run:
        autolog.log_metrics({"a": 1, "b": 2.5}, step=7)
    client = autolog.Client()
    (a,), (b,) = (
        client.get_metric_history(run.info.run_id, "a"),
        client.get_metric_history(run.info.run_id, "b"),
    )
    assert (a.value, b.value) == (1.0, 2.5) and a.step == b.step == 7 and a.timestamp == b.timestamp


def test_invalid_key_in_a_batch_writes_nothing():
    with autolog.start_run() as run:
        with pytest.raises(InvalidInputError, match=r"\.\./bad"):
            autolog.log_metrics({"ok": 1.0, "../bad": 2.0})
        with pytest.raises(InvalidInputError):
            autolog.log_params({"fine": 1, "/abs": 2})
    data = _fresh(run.info.run_id).data
    assert data.metrics == {} and data.params == {}


def test_nan_and_infinities_round_trip():
    with autolog.start_run() as run:
        autolog.log_metric("nan", float("nan"))
        autolog.log_metrics({"inf": float("inf"), "ninf": float("-inf")})
    metrics = _fresh(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf and metrics["ninf"] == -math.inf
    (history,) = autolog.Client().get_metric_history(run.info.run_id, "nan")
    assert math.isnan(history.value)


def test_tags_set_and_delete():
    with autolog.start_run(tags={"team": "a"}) as run:
        autolog.set_tag("stage", "dev")
        autolog.set_tags({"stage": "prod", "owner": 7})
        autolog.delete_tag("team")
    assert {k: v for k, v in _fresh(run.info.run_id).data.tags.items() if not k.startswith("autolog.")} == {
        "stage": "prod",
        "owner": "7",
    }


def test_logging_to_an_explicit_run_id():
    with autolog.start_run() as first:
        pass
    with autolog.start_run() as second:
        autolog.log_metric("late", 1.0, run_id=first.info.run_id)
        autolog.log_param("p", "x", run_id=first.info.run_id)
        autolog.set_tag("t", "y", run_id=first.info.run_id)
    assert _fresh(first.info.run_id).data.metrics == {"late": 1.0}
    assert _fresh(second.info.run_id).data.metrics == {}


# -- artifacts ---------------------------------------------------------------------------------


def test_artifact_calls_round_trip(tmp_path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("A")
    (source / "sub" / "b.txt").write_text("B")
    with autolog.start_run() as run:
        autolog.log_artifact(str(source / "a.txt"))
        autolog.log_artifact(str(source / "a.txt"), "copies")
        autolog.log_artifacts(str(source), "tree")
        autolog.log_text("hello", "notes/hello.txt")
        autolog.log_dict({"x": [1, 2]}, "config.json")
        listing = {f.path: f.is_dir for f in autolog.list_artifacts()}
        assert listing == {"a.txt": False, "copies": True, "tree": True, "notes": True, "config.json": False}
        assert {f.path for f in autolog.list_artifacts("tree")} == {"tree/a.txt", "tree/sub"}
    out = tmp_path / "out"
    out.mkdir()
    local = autolog.download_artifacts("", str(out), run_id=run.info.run_id)
    root = type(tmp_path)(local)
    assert (root / "notes" / "hello.txt").read_text() == "hello"
    assert json.loads((root / "config.json").read_text()) == {"x": [1, 2]}
    assert (root / "tree" / "sub" / "b.txt").read_text() == "B"
    # after the run ended, the reading calls default to the last run of this thread
    assert {f.path for f in autolog.list_artifacts()} == set(listing)


def test_log_dict_yaml_and_missing_pyyaml(monkeypatch, tmp_path):
    yaml = pytest.importorskip("yaml")
    with autolog.start_run() as run:
        autolog.log_dict({"b": 1, "a": [1, 2]}, "conf.yaml")
        monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
        with pytest.raises(InvalidInputError, match="PyYAML"):
            autolog.log_dict({"b": 1}, "other.yml")
    monkeypatch.undo()
    local = autolog.download_artifacts("conf.yaml", str(tmp_path), run_id=run.info.run_id)
    assert yaml.safe_load(open(local).read()) == {"b": 1, "a": [1, 2]}
    assert {f.path for f in autolog.list_artifacts(run_id=run.info.run_id)} == {"conf.yaml"}


def test_log_dict_rejects_unserializable_values():
    with autolog.start_run(), pytest.raises(InvalidInputError, match="bad.json"):
        autolog.log_dict({"x": object()}, "bad.json")


def test_log_figure_png_and_svg(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with autolog.start_run() as run:
        autolog.log_figure(figure, "plots/line.png")
        autolog.log_figure(figure, "plots/line.svg")
        with pytest.raises(InvalidInputError, match="line.bmp"):
            autolog.log_figure(figure, "plots/line.bmp")
    plt.close(figure)
    png = autolog.download_artifacts("plots/line.png", str(tmp_path), run_id=run.info.run_id)
    svg = autolog.download_artifacts("plots/line.svg", str(tmp_path), run_id=run.info.run_id)
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in open(svg, "rb").read()


def test_log_text_rejects_non_text():
    with autolog.start_run(), pytest.raises(InvalidInputError):
        autolog.log_text(b"bytes", "x.txt")


def test_reading_artifacts_without_any_run_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="run_id"):
        autolog.list_artifacts()


# -- search ------------------------------------------------------------------------------------


def _three_runs():
    ids = []
    for index, acc in enumerate([0.7, 0.9, 0.8]):
        with autolog.start_run(run_name=f"r{index}") as run:
            autolog.log_params({"C": index})
            autolog.log_metric("acc", acc)
            autolog.set_tag("kind", "even" if index % 2 == 0 else "odd")
        ids.append(run.info.run_id)
    return ids


def test_search_runs_dataframe_columns_and_values():
    pd = pytest.importorskip("pandas")
    ids = _three_runs()
    frame = autolog.search_runs(order_by=["metrics.acc DESC"])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:7]) == [
        "run_id",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "run_name",
        "artifact_uri",
    ]
    assert {"params.C", "metrics.acc", "tags.kind"} <= set(frame.columns)
    assert list(frame["run_id"]) == [ids[1], ids[2], ids[0]]
    assert list(frame["metrics.acc"]) == [0.9, 0.8, 0.7]
    assert set(frame["status"]) == {"FINISHED"}
    assert pd.api.types.is_datetime64_any_dtype(frame["start_time"])


def test_search_runs_list_filter_and_max_results():
    ids = _three_runs()
    found = autolog.search_runs(filter_string="metrics.acc > 0.75", output_format="list")
    assert {run.info.run_id for run in found} == {ids[1], ids[2]}
    assert len(autolog.search_runs(output_format="list", max_results=2)) == 2
    assert (
        autolog.search_runs(filter_string="tags.kind = 'odd'", output_format="list")[0].info.run_id == ids[1]
    )


def test_search_runs_by_experiment_names_and_deleted_view():
    autolog.set_experiment("one")
    with autolog.start_run() as run:
        pass
    autolog.Client().delete_run(run.info.run_id)
    assert autolog.search_runs(experiment_names=["one"], output_format="list") == []
    deleted = autolog.search_runs(
        experiment_names=["one"], run_view_type=ViewType.DELETED_ONLY, output_format="list"
    )
    assert [r.info.run_id for r in deleted] == [run.info.run_id]


def test_search_runs_empty_frame_has_the_info_columns():
    pytest.importorskip("pandas")
    frame = autolog.search_runs()
    assert len(frame) == 0 and "run_id" in frame.columns


def test_search_runs_without_pandas_returns_a_list(monkeypatch):
    _three_runs()
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.delitem(sys.modules, "autolog.tracking._frame", raising=False)
    result = autolog.search_runs()
    assert isinstance(result, list) and len(result) == 3


def test_search_runs_rejects_bad_output_format_and_bad_filter():
    with pytest.raises(InvalidInputError, match="output_format"):
        autolog.search_runs(output_format="csv")
    with pytest.raises(InvalidInputError):
        autolog.search_runs(filter_string="metrics.acc >>> 1")


# -- heartbeat set -----------------------------------------------------------------------------


def test_running_runs_are_kept_alive_until_they_end():
    with autolog.start_run() as parent:
        with autolog.start_run(nested=True) as child:
            assert {parent.info.run_id, child.info.run_id} <= set(KEEPER.run_ids())
        assert child.info.run_id not in KEEPER.run_ids()
    assert parent.info.run_id not in KEEPER.run_ids()


def test_a_store_error_while_ending_never_hides_the_users_exception():
    with pytest.warns(RuntimeWarning, match="could not end run"), pytest.raises(ZeroDivisionError):
        with autolog.start_run() as run:
            object.__setattr__(run, "_client", _BrokenClient())  # the store fails at the end
            1 / 0
    assert autolog.active_run() is None


class _BrokenClient:
    """Failure injection for the end of a run only."""

    def set_terminated(self, run_id, status):
        raise OSError("disk gone")


def test_helpers_for_the_layers_above(store_dir):
    from autolog.tracking import current_client, resolve_experiment_id, set_last_active_run

    client = current_client()
    assert client is current_client() and client.tracking_uri == str(store_dir)
    assert resolve_experiment_id() == "0"
    experiment = autolog.set_experiment("helpers")
    assert resolve_experiment_id() == experiment.experiment_id
    assert resolve_experiment_id(experiment_id="0") == "0"
    run = client.create_run(experiment.experiment_id)
    client.set_terminated(run.info.run_id)
    set_last_active_run(run.info.run_id)
    assert autolog.last_active_run().info.run_id == run.info.run_id
    with autolog.start_run() as active:
        assert active.client is client
