"""Records of a run's artifact files can wait for the run's end: one transaction per fit."""

from __future__ import annotations

import contextlib

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.engine import AutologWarning
from autolog.exceptions import ConflictError
from autolog.tracking import Metric, get_store


def _write_transactions(store, monkeypatch) -> list[str]:
    """Records the write transactions of ``store``'s hot path (one entry per transaction)."""
    store._hot_writer()
    connections = store._hot_connections
    opened: list[str] = []
    original = connections.write_cursor

    @contextlib.contextmanager
    def counted():
        opened.append("write")
        with original() as cursor:
            yield cursor

    monkeypatch.setattr(connections, "write_cursor", counted)
    return opened


def test_records_wait_for_finish_run_and_go_out_in_its_transaction(sql_store, monkeypatch):
    run_id = sql_store.create_run("0").info.run_id
    transactions = _write_transactions(sql_store, monkeypatch)
    with sql_store.deferred_artifact_records(run_id):
        repository = sql_store.artifacts(run_id)
        repository.write_bytes("evaluation/training.json", b"{}")
        repository.write_bytes("model/model.pkl", b"pickled")
        assert sql_store._stored_artifact_records(run_id, "") == {}  # not written yet...
        assert set(sql_store._artifact_records(run_id)) == {"evaluation/training.json", "model/model.pkl"}
        assert set(sql_store._artifact_records(run_id, "model")) == {"model/model.pkl"}  # ...but seen
        sql_store.finish_run(run_id, metrics=[Metric("m", 1.0, 0, 0)])
        assert len(transactions) == 1
    assert len(transactions) == 1  # nothing left for the end of the block
    assert set(sql_store._stored_artifact_records(run_id, "")) == {
        "evaluation/training.json",
        "model/model.pkl",
    }
    assert sql_store.get_run(run_id).info.status == "FINISHED"


def test_records_left_waiting_are_written_when_the_block_ends(sql_store, monkeypatch):
    run_id = sql_store.create_run("0").info.run_id
    transactions = _write_transactions(sql_store, monkeypatch)
    with sql_store.deferred_artifact_records(run_id):
        with sql_store.deferred_artifact_records(run_id):  # nested: the outer block's rows
            sql_store.artifacts(run_id).write_bytes("a.txt", b"a")
        sql_store.artifacts(run_id).write_bytes("b.txt", b"b")
        assert transactions == []
    assert len(transactions) == 1
    assert set(sql_store._stored_artifact_records(run_id, "")) == {"a.txt", "b.txt"}


def test_a_refused_end_keeps_the_records(sql_store):
    run_id = sql_store.create_run("0").info.run_id
    sql_store.delete_run(run_id)
    with sql_store.deferred_artifact_records(run_id):
        sql_store.artifacts(run_id).write_bytes("a.txt", b"a")
        with pytest.raises(ConflictError):
            sql_store.finish_run(run_id)  # a deleted run cannot be written
        assert set(sql_store._artifact_records(run_id)) == {"a.txt"}
    assert set(sql_store._stored_artifact_records(run_id, "")) == {"a.txt"}


def test_other_runs_and_threads_write_at_once(sql_store):
    import threading

    waiting, other = (sql_store.create_run("0").info.run_id for _ in range(2))
    with sql_store.deferred_artifact_records(waiting):
        sql_store.artifacts(other).write_bytes("a.txt", b"a")
        thread = threading.Thread(target=lambda: sql_store.artifacts(waiting).write_bytes("t.txt", b"t"))
        thread.start()
        thread.join()
        assert set(sql_store._stored_artifact_records(other, "")) == {"a.txt"}
        assert set(sql_store._stored_artifact_records(waiting, "")) == {"t.txt"}


def test_an_autologged_fit_writes_three_transactions(tmp_path, monkeypatch):
    """Creation, the model record, and the end with the metrics and the files' records."""
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "store"))
    X, y = load_iris(return_X_y=True)
    autolog.autolog()
    try:
        LogisticRegression(max_iter=300).fit(X, y)  # the first fit opens the store
        transactions = _write_transactions(get_store(), monkeypatch)
        LogisticRegression(max_iter=300).fit(X, y)
    finally:
        autolog.autolog(disable=True)
    assert len(transactions) == 3
    run = autolog.search_runs(output_format="list", order_by=["attributes.start_time DESC"])[0]
    records = get_store()._stored_artifact_records(run.info.run_id, "")
    assert "evaluation/training.json" in records and "model/model.pkl" in records


def test_records_that_cannot_be_written_at_the_end_cost_only_a_warning(tmp_path, monkeypatch):
    """The fit returns and the steps after the run's end (the last run) still happen."""
    monkeypatch.delenv("AUTOLOG_STRICT", raising=False)
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "store"))
    X, y = load_iris(return_X_y=True)
    autolog.autolog()
    try:
        LogisticRegression(max_iter=300).fit(X, y)
        store = get_store()

        attempts = []

        def refused(rows):
            attempts.append(rows)
            raise OSError("disk full")

        monkeypatch.setattr(store, "_write_artifact_records", refused)
        monkeypatch.setattr(store, "finish_run", lambda *a, **k: (_ for _ in ()).throw(OSError("locked")))
        with pytest.warns(AutologWarning, match="ending the run failed"):  # one warning per call
            model = LogisticRegression(max_iter=300).fit(X, y)
    finally:
        autolog.autolog(disable=True)
    assert model.coef_.shape == (3, 4)
    assert len(attempts) == 1 and {row["path"] for row in attempts[0]} >= {"evaluation/training.json"}
    last = autolog.last_active_run()  # remembered after the end: the steps after it ran
    assert last is not None and last.info.run_id == attempts[0][0]["run_id"]
