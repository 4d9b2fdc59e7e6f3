"""The heartbeat keeper against a real store: stale runs read as KILLED until refreshed."""

from __future__ import annotations

import threading
import time

import pytest

import autolog
from autolog import RunStatus
from autolog.tracking._heartbeat import KEEPER, HeartbeatKeeper, heartbeat_interval


@pytest.mark.parametrize(("raw", "expected"), [(None, 30.0), ("0.5", 0.5), ("junk", 30.0), ("-1", 30.0)])
def test_interval_from_environment(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("AUTOLOG_HEARTBEAT_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("AUTOLOG_HEARTBEAT_INTERVAL", raw)
    assert heartbeat_interval() == expected


def test_beat_refreshes_a_stale_run(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", "0.5")
    client = autolog.Client(str(tmp_path / "store"))
    run_id = client.create_run("0").info.run_id
    assert run_id in KEEPER.run_ids(), "runs created through the Client are kept alive too"
    time.sleep(0.8)
    assert client.get_run(run_id).info.status == RunStatus.KILLED
    KEEPER.beat_now()
    assert client.get_run(run_id).info.status == RunStatus.RUNNING
    client.set_terminated(run_id)
    assert run_id not in KEEPER.run_ids()
    time.sleep(0.8)
    assert client.get_run(run_id).info.status == RunStatus.FINISHED, "ended runs never turn KILLED"


def test_one_thread_refreshes_periodically(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_INTERVAL", "0.1")
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", "0.6")
    keeper = HeartbeatKeeper()
    client = autolog.Client(str(tmp_path / "store"))
    runs = [client.create_run("0").info.run_id for _ in range(3)]
    for run_id in runs:
        KEEPER.discard(run_id)  # only the keeper under test refreshes them
        keeper.add(client.store, run_id)
    time.sleep(1.2)
    assert {client.get_run(r).info.status for r in runs} == {RunStatus.RUNNING}
    assert any(t.name == "autolog-heartbeat" for t in threading.enumerate())
    keeper.discard(runs[0])
    assert keeper.run_ids() == runs[1:]
