"""An autologged fit against a real server (uvicorn in a thread): how many requests it makes, that
it does not wait for the server, and that its run still ends up complete, exactly once, also
when the server refuses the run or cannot be reached."""

from __future__ import annotations

import collections
import time
import warnings

import pytest

from autolog._core._entities import ModelRecord, RunStatus
from autolog.store._http import HttpStore, _batcher, _transport
from autolog.store._http._spool import open_spool, pending_runs, sync
from tests._tracking_server import ThreadServer

DELAY_S = 0.4


@pytest.fixture
def served(tmp_path):
    server = ThreadServer(str(tmp_path / "store"), str(tmp_path / "artifacts"))
    yield server
    server.stop()


class Requests:
    """Every request the HTTP client sends, as ``(method, path)``; each waits ``delay_s``
    before it goes out (a slow server, as the caller sees it)."""

    def __init__(self, monkeypatch):
        self.calls: list = []
        self.delay_s = 0.0
        original = _transport.Transport._send

        def send(transport, method, url, data):
            self.calls.append((method, url.split("?")[0].split("/api/v1", 1)[1]))
            if self.delay_s:
                time.sleep(self.delay_s)
            return original(transport, method, url, data)

        monkeypatch.setattr(_transport.Transport, "_send", send)


@pytest.fixture
def requests(monkeypatch):
    return Requests(monkeypatch)


@pytest.fixture
def autologged(served, monkeypatch):
    import autolog
    from autolog.tracking._uri import get_store

    monkeypatch.setenv("AUTOLOG_TRACKING_URI", served.url)
    autolog.autolog()
    yield get_store()
    autolog.autolog(disable=True)
    _drain(get_store())


def _drain(store) -> None:
    from autolog.store._uploads import wait_for_uploads

    wait_for_uploads()
    store.flush()


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 10))
    return X, (X[:, 0] + rng.normal(size=500) > 0).astype(int)


def _fit(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=200).fit(X, y)


def _assert_complete(store, run_ids) -> None:
    runs = store.search_runs(["0"])
    assert sorted(r.info.run_id for r in runs) == sorted(run_ids)  # each run once, no other
    for run in runs:
        assert run.info.status == RunStatus.FINISHED and run.info.end_time is not None
        assert run.info.run_name == "LogisticRegression"
        assert "training_accuracy_score" in run.data.metrics and run.data.params["C"] == "1.0"
        paths = {f.path for f in store.artifacts(run.info.run_id).list_files()}
        assert {"evaluation/training.json", "model/model.pkl", "model/autolog-model.json"} <= paths
        assert store.get_model_record(run.info.run_id, "model").flavor == "sklearn"


def test_an_autologged_fit_takes_two_or_three_requests(autologged, requests, monkeypatch):
    import autolog

    monkeypatch.setattr(_batcher, "HOLD_S", 5.0)  # the creation always waits for the end here
    X, y = _data()
    _fit(X, y)  # the experiment's first run is created at once: it tells the artifact URIs
    _drain(autologged)
    first = autolog.last_active_run().info.run_id
    requests.calls.clear()
    for _ in range(5):
        _fit(X, y)
    _drain(autologged)
    kinds = collections.Counter((method, path.rsplit("/", 1)[-1]) for method, path in requests.calls)
    assert kinds[("POST", "finished")] == 5  # creation, params, tags, metrics and end
    assert 5 <= kinds[("POST", "bundle")] <= 10  # the files and the model record: 1 or 2 each
    assert sum(kinds.values()) == kinds[("POST", "finished")] + kinds[("POST", "bundle")], kinds
    runs = autologged.search_runs(["0"])
    assert len(runs) == 6 and first in {r.info.run_id for r in runs}
    _assert_complete(autologged, [r.info.run_id for r in runs])


def test_the_fit_does_not_wait_for_a_slow_server(autologged, requests):
    import autolog

    X, y = _data()
    _fit(X, y)
    _drain(autologged)
    first = autolog.last_active_run().info.run_id
    requests.delay_s = DELAY_S
    run_ids, durations = [], []
    for _ in range(3):
        started = time.perf_counter()
        _fit(X, y)
        durations.append(time.perf_counter() - started)
        run_ids.append(autolog.last_active_run().info.run_id)
    assert max(durations) < DELAY_S, durations  # not one round trip inside a fit
    _drain(autologged)
    requests.delay_s = 0.0
    _assert_complete(autologged, [first, *run_ids])


def test_a_queued_run_is_returned_as_the_server_creates_it(served):
    store = HttpStore(served.url)
    store.create_run("0")  # learns the experiment's artifact URIs
    queued = store.create_run_nowait(
        "0", run_name="n", start_time=7, tags={"t": "v"}, params={"p": 1}, user_id="u", source="s"
    )
    assert store.get_run(queued.info.run_id) == queued  # the read sends the creation first


def test_a_refused_creation_is_one_warning_and_nothing_else(auth_server):
    admin = auth_server.store_for("admin")
    experiment = admin.create_experiment("refused-in-the-background")
    grant = {"kind": "experiment", "resource_id": experiment, "user": "alice", "level": "EDIT"}
    admin._call("POST", "/permissions", grant)
    alice = HttpStore(auth_server.url, auth_server.tokens["alice"])
    alice.create_run(experiment)  # allowed: learns the artifact URIs
    admin._call("POST", "/permissions", {**grant, "level": "READ"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = alice.create_run_nowait(experiment, run_name="late")  # queued: no error here
        run_id = run.info.run_id
        alice.log_metric(run_id, "loss", 0.5)
        repository = alice.artifacts(run_id)
        repository.write_bytes("evaluation/training.json", b"{}")
        alice.record_logged_model(run_id, "model", ModelRecord("sklearn", "pickle", "m.pkl", "0" * 64, 1))
        alice.finish_run(run_id)
        _drain(alice)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "could not be created" in messages[0], messages
    assert auth_server.store_for("admin").count_runs([experiment]) == 1


@pytest.mark.parametrize("hold_s", [0.0, 5.0], ids=["created-alone", "created-with-its-end"])
def test_a_queued_run_of_an_unreachable_server_is_spooled_and_synced_once(tmp_path, monkeypatch, hold_s):
    monkeypatch.setattr(_batcher, "HOLD_S", hold_s)
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AUTOLOG_HTTP_RETRY_SECONDS", "0.5")
    first = ThreadServer(str(tmp_path / "store"), str(tmp_path / "artifacts"))
    store = HttpStore(first.url)
    store.create_run("0")
    first.stop()  # the next creation finds nobody
    with pytest.warns(UserWarning, match="spool"):
        run_id = store.create_run_nowait("0", run_name="offline", params={"C": 1}).info.run_id
        store.log_metric(run_id, "loss", 0.25)
        if not hold_s:
            store._batcher.flush()  # the creation goes alone, the rest follows it to the spool
        store.artifacts(run_id).write_bytes("model/model.pkl", b"pickle")
        store.finish_run(run_id)
        _drain(store)
    spool = open_spool(str(tmp_path / "spool"))
    assert [r.info.run_id for r in pending_runs(spool)] == [run_id]
    second = ThreadServer(str(tmp_path / "store"), str(tmp_path / "artifacts"))
    try:
        target = HttpStore(second.url)
        assert sync(spool, target, echo=lambda _line: None) == 1
        assert sync(spool, target, echo=lambda _line: None) == 0
        synced = [r for r in target.search_runs(["0"]) if r.info.run_name == "offline"]
        assert len(synced) == 1 and synced[0].info.status == RunStatus.FINISHED
        assert synced[0].data.metrics == {"loss": 0.25} and synced[0].data.params == {"C": "1"}
        assert target.artifacts(synced[0].info.run_id).download_artifacts("model/model.pkl")
    finally:
        second.stop()


def test_uploads_to_a_created_run_go_to_the_spool_when_the_server_goes_away(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AUTOLOG_HTTP_RETRY_SECONDS", "0.5")
    server = ThreadServer(str(tmp_path / "store"), str(tmp_path / "artifacts"))
    store = HttpStore(server.url)
    run_id = store.create_run("0").info.run_id
    server.stop()
    with pytest.warns(UserWarning, match="spool"):
        store.artifacts(run_id).write_bytes("notes.txt", b"kept")
        _drain(store)
    spool = open_spool(str(tmp_path / "spool"))
    [mirror] = pending_runs(spool)
    assert spool.artifacts(mirror.info.run_id).list_files()[0].path == "notes.txt"


def test_a_bundle_whose_sizes_do_not_add_up_is_refused(served):
    from autolog._core._exceptions import InvalidInputError
    from autolog.store._http import _codec

    store = HttpStore(served.url)
    run_id = store.create_run("0").info.run_id
    body = _codec.dumps_bundle([("a.txt", b"abc")], [])
    with pytest.raises(InvalidInputError, match="do not add up"):
        store.transport.call("POST", f"/runs/{run_id}/artifacts/bundle", raw_body=body[:-1])
    with pytest.raises(InvalidInputError, match="invalid artifact bundle"):
        store.transport.call("POST", f"/runs/{run_id}/artifacts/bundle", raw_body=b"[1]\n")
    assert store.artifacts(run_id).list_artifacts() == []


def test_large_uploads_are_staged_and_split_into_several_requests(served, requests, tmp_path, monkeypatch):
    import tempfile

    from autolog.store._http import _artifacts, _store

    monkeypatch.setattr(_artifacts, "MAX_IN_MEMORY_BYTES", 0)  # staged on disk, read when sent
    monkeypatch.setattr(_store, "MAX_BUNDLE_BYTES", 2500)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    store = HttpStore(served.url)
    run_id = store.create_run("0").info.run_id
    source = tmp_path / "model"
    source.mkdir()
    for name in ("a.bin", "b.bin", "c.bin"):
        (source / name).write_bytes(name.encode() * 500)  # 2,500 bytes each
    record = ModelRecord("sklearn", "pickle", "a.bin", "0" * 64, 2500)
    requests.calls.clear()
    store.artifacts(run_id).log_artifacts(str(source), "model", wait=False)
    store.record_logged_model(run_id, "model", record)
    for path in source.iterdir():
        path.unlink()
    _drain(store)
    assert [path for _method, path in requests.calls].count(f"/runs/{run_id}/artifacts/bundle") == 3
    assert list((tmp_path / "temp").iterdir()) == []  # the staging copy is gone
    repository = store.artifacts(run_id)
    assert [f.path for f in repository.list_files()] == ["model/a.bin", "model/b.bin", "model/c.bin"]
    assert store.get_model_record(run_id, "model") == record


def test_a_held_creation_goes_alone_once_its_hold_is_over(monkeypatch):
    from autolog.store._http._batcher import Batcher

    monkeypatch.setattr(_batcher, "HOLD_S", 1.0)
    delivered: list = []
    batcher = Batcher(lambda run_id, rows: delivered.append((run_id, rows.create, rows.metrics, rows.ends)))
    batcher.put("r1", "c", ({"n": 1}, time.monotonic()), wake=True)
    batcher.put("r1", "m", ["loss", 0.5, 1, 0])
    time.sleep(0.3)
    assert delivered == []  # held for the run's end
    deadline = time.monotonic() + 5
    while not delivered and time.monotonic() < deadline:
        time.sleep(0.01)
    assert delivered == [("r1", {"n": 1}, [["loss", 0.5, 1, 0]], [])]
    batcher.put("r2", "c", ({"n": 2}, time.monotonic()), wake=True)
    batcher.put("r2", "f", {"status": "FINISHED"}, wake=True)
    batcher.flush()
    assert delivered[1] == ("r2", {"n": 2}, [], [{"status": "FINISHED"}])
