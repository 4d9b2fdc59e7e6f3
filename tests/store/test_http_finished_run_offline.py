"""``HttpStore.create_finished_run`` while the tracking server cannot be reached: the whole run
goes to the offline spool, linked to its server parent, ready for ``autolog sync``."""

from __future__ import annotations

import socket

import pytest

from autolog.entities import Metric, RunStatus
from autolog.store._http import HttpStore
from autolog.store._http._spool import PARENT_RUN_ID, open_spool, pending_runs


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def test_a_finished_run_written_while_the_server_is_down_goes_whole_to_the_spool(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AUTOLOG_HTTP_RETRY_SECONDS", "0.5")
    store = HttpStore(f"http://127.0.0.1:{_closed_port()}")
    server_parent = "ab" * 16
    with pytest.warns(UserWarning, match="spool"):
        run_id = store.create_finished_run(
            "3",
            status=RunStatus.FAILED,
            start_time=5,
            end_time=10,
            run_name="trial-0",
            tags={"t": "x"},
            params={"lr": 0.1},
            metrics=[Metric("loss", 0.5, 6, 0), Metric("loss", 0.25, 7, 1)],
            parent_run_id=server_parent,
        )
    spool = open_spool(str(tmp_path / "spool"))
    run = spool.get_run(run_id)
    assert (run.info.status, run.info.start_time, run.info.end_time) == (RunStatus.FAILED, 5, 10)
    assert run.info.run_name == "trial-0" and run.data.params == {"lr": "0.1"}
    assert run.data.tags == {"t": "x", PARENT_RUN_ID: server_parent}
    assert [m.value for m in spool.get_metric_history(run_id, "loss")] == [0.5, 0.25]
    assert [r.info.run_id for r in pending_runs(spool)] == [run_id]


def test_a_finished_child_of_a_spooled_run_is_spooled_under_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AUTOLOG_HTTP_RETRY_SECONDS", "0.5")
    store = HttpStore(f"http://127.0.0.1:{_closed_port()}")
    with pytest.warns(UserWarning, match="spool"):
        parent = store.create_run("3", run_name="study").info.run_id
    child = store.create_finished_run("3", run_name="trial-0", parent_run_id=parent)
    spool = open_spool(str(tmp_path / "spool"))
    run = spool.get_run(child)
    assert run.info.parent_run_id == parent and PARENT_RUN_ID not in run.data.tags
    assert run.info.status == RunStatus.FINISHED
