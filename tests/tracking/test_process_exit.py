"""Runs left open at interpreter exit, heartbeats, and runs whose process died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import autolog
from autolog import RunStatus

REPO = Path(__file__).resolve().parents[2]


def _env(store_dir, **extra) -> dict:
    env = dict(os.environ, AUTOLOG_TRACKING_URI=str(store_dir), PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def _run_script(store_dir, body: str, **env) -> tuple[str, subprocess.CompletedProcess]:
    code = "import autolog\n" + body
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=_env(store_dir, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    run_ids = done.stdout.split()
    return run_ids, done


@pytest.mark.parametrize(
    ("ending", "status", "ok"),
    [
        ("pass", RunStatus.FINISHED, True),
        ("raise ValueError('crash')", RunStatus.FAILED, False),
        ("raise KeyboardInterrupt", RunStatus.KILLED, False),
    ],
)
def test_runs_left_open_are_ended_at_exit(tmp_path, ending, status, ok):
    body = (
        "parent = autolog.start_run()\n"
        "child = autolog.start_run(nested=True)\n"
        "autolog.log_metric('m', 1.0)\n"
        "print(parent.info.run_id, child.info.run_id, flush=True)\n"
        f"{ending}\n"
    )
    run_ids, done = _run_script(tmp_path / "store", body)
    assert (done.returncode == 0) == ok, done.stderr
    client = autolog.Client(str(tmp_path / "store"))
    for run_id in run_ids:
        run = client.get_run(run_id)
        assert run.info.status == status
        assert run.info.end_time is not None


def test_auto_started_run_is_finished_at_exit(tmp_path):
    body = "autolog.log_param('p', 1)\nprint(autolog.active_run().info.run_id)\n"
    (run_id,), done = _run_script(tmp_path / "store", body)
    assert done.returncode == 0, done.stderr
    assert autolog.Client(str(tmp_path / "store")).get_run(run_id).info.status == RunStatus.FINISHED


def test_run_started_in_a_worker_thread_is_ended_at_exit(tmp_path):
    body = (
        "import threading\n"
        "ids = []\n"
        "t = threading.Thread(target=lambda: ids.append(autolog.start_run().info.run_id))\n"
        "t.start(); t.join()\n"
        "print(ids[0])\n"
    )
    (run_id,), done = _run_script(tmp_path / "store", body)
    assert done.returncode == 0, done.stderr
    assert autolog.Client(str(tmp_path / "store")).get_run(run_id).info.status == RunStatus.FINISHED


@pytest.mark.slow
def test_heartbeat_keeps_a_live_run_running_and_a_killed_process_shows_killed(tmp_path, monkeypatch):
    store_dir = tmp_path / "store"
    code = (
        "import time, autolog\n"
        "run = autolog.start_run()\n"
        "print(run.info.run_id, flush=True)\n"
        "time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(store_dir, AUTOLOG_HEARTBEAT_INTERVAL="0.2"),
    )
    try:
        run_id = process.stdout.readline().strip()
        assert run_id, "the child did not start a run"
        monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", "1")
        client = autolog.Client(str(store_dir))
        time.sleep(2.0)  # twice the timeout: only a refreshed heartbeat keeps it RUNNING
        assert client.get_run(run_id).info.status == RunStatus.RUNNING
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    time.sleep(1.5)
    assert client.get_run(run_id).info.status == RunStatus.KILLED
    killed = client.search_runs(["0"], "attributes.status = 'KILLED'")
    assert [run.info.run_id for run in killed] == [run_id]
    assert client.search_runs(["0"], "attributes.status = 'RUNNING'") == []
