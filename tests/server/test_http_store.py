"""The HTTP store's batching and idempotent writes against a real server (uvicorn in a thread)."""

from __future__ import annotations

import pytest

from autolog.store._http import HttpStore
from tests._tracking_server import ThreadServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, tmp_path):
    if request.param == "sqlite":
        backend = str(tmp_path / "store")
    else:
        backend = request.getfixturevalue("postgres_server").create_database()
    server = ThreadServer(backend, str(tmp_path / "artifacts"))
    yield server
    server.stop()


def test_a_retried_batch_is_applied_once(served):
    store = HttpStore(served.url, background_logging=False)
    run_id = store.create_run("0").info.run_id
    body = {
        "batch_id": "b" * 32,
        "metrics": [["loss", 0.5, 1, 0], ["loss", 0.4, 2, 1]],
        "params": [["C", "1"]],
        "tags": [["t", "v"]],
    }
    for _ in range(3):  # what the transport does after a lost answer
        store.transport.call("POST", f"/runs/{run_id}/batch", body)
    assert [m.value for m in store.get_metric_history(run_id, "loss")] == [0.5, 0.4]
    store.transport.call("POST", f"/runs/{run_id}/batch", {**body, "batch_id": "c" * 32})
    assert len(store.get_metric_history(run_id, "loss")) == 4


def test_background_batches_deliver_every_value_before_a_read(served):
    store = HttpStore(served.url)
    run_id = store.create_run("0").info.run_id
    for step in range(25_000):  # more than the queue holds: the logger waits for room
        store.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    store.set_tag(run_id, "phase", "done")
    history = store.get_metric_history(run_id, "loss")  # flushes first
    assert [m.step for m in history] == list(range(25_000))
    assert store.get_run(run_id).data.tags == {"phase": "done"}
    store.finish_run(run_id)  # queued behind the run's values; a read sends it first
    assert store.get_run(run_id).info.status == "FINISHED"
    assert store._batcher.pending() == 0


def test_invalid_values_fail_at_the_call_not_in_the_background(served):
    from autolog.exceptions import InvalidInputError

    store = HttpStore(served.url)
    run_id = store.create_run("0").info.run_id
    with pytest.raises(InvalidInputError, match="real number"):
        store.log_metric(run_id, "loss", "high")
    with pytest.raises(InvalidInputError):
        store.log_metric(run_id, "bad key!", 1.0)


def test_without_tokens_the_api_answers_only_its_own_host_name(served):
    import http.client

    host, port = served.url.split("//")[1].split(":")
    for name, status in (("127.0.0.1", 200), ("evil.example", 400)):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/api/v1/experiments", headers={"Host": f"{name}:{port}"})
        assert connection.getresponse().status == status, name
        connection.close()


def test_a_retried_run_creation_returns_the_same_run(served):
    store = HttpStore(served.url, background_logging=False)
    first = store._create_run("0", "r" * 32, run_name="once")
    again = store._create_run("0", "r" * 32, run_name="once")
    assert again.info.run_id == first.info.run_id
    assert store.count_runs("0") == 1


def test_own_run_artifacts_upload_in_the_background_and_reads_wait_for_them(served, tmp_path):
    from autolog._core._entities import ModelRecord, RunStatus

    store = HttpStore(served.url)
    run_id = store.create_run("0").info.run_id
    staging = tmp_path / "staging"
    (staging / "sub").mkdir(parents=True)
    (staging / "model.pkl").write_bytes(b"p" * 3000)
    (staging / "sub" / "notes.txt").write_text("n")
    repository = store.artifacts(run_id)
    paths = repository.log_artifacts(str(staging), "model", wait=False)
    assert sorted(paths) == ["model/model.pkl", "model/sub/notes.txt"]
    # what this process wrote to its own run answers without a request (log_model's conflict check)
    assert [info.path for info in repository.recorded_files("model")] == sorted(paths)
    for path in (staging / "sub" / "notes.txt", staging / "model.pkl"):
        path.unlink()  # the caller's staging files may go as soon as the call returned
    record = ModelRecord("sklearn", "pickle", "model.pkl", "0" * 64, 3000)
    store.record_logged_model(run_id, "model", record)  # queued behind the files
    repository.write_bytes("evaluation/training.json", b"{}")
    store.finish_run(run_id)
    other = HttpStore(served.url)  # another client sees it all once this one's reads have waited
    assert [info.path for info in store.artifacts(run_id).list_files()] == [
        "evaluation/training.json",
        "model/model.pkl",
        "model/sub/notes.txt",
    ]
    assert store.get_model_record(run_id, "model") == record
    assert other.get_run(run_id).info.status == RunStatus.FINISHED
    assert other.artifacts(run_id).recorded_files("model") == other.artifacts(run_id).list_files("model")
