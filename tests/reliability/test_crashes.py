"""Crashes: a process killed with SIGKILL mid-logging never costs committed data or the store.

Each trial runs a child that logs params, metrics, tags, artifacts and models into ONE shared
directory store and prints every value after the call returned (i.e. committed); the parent kills
it with SIGKILL at a random moment. Afterwards everything printed must be in the store, the killed
run reads as KILLED once its heartbeat is stale, and no half-written artifact is visible.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from autolog.store import open_store
from tests.reliability.conftest import assert_store_consistent

TRIALS, AT_ONCE = 20, 5
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    import autolog
    from autolog.models import log_model
    from autolog.entities import Metric

    client = autolog.Client(sys.argv[1])
    trial = sys.argv[2]
    run_id = client.create_run("0", run_name="trial-" + trial).info.run_id
    print("run", run_id, flush=True)
    model = {"weights": list(range(1000))}  # any picklable object: no framework import, fast trials
    step = 0
    while True:
        client.log_metric(run_id, "loss", float(step), step=step)
        print("metric", step, flush=True)
        client.log_batch(run_id, metrics=[Metric("acc", step / 1000, 1, step)], params=[("p%d" % step, str(step))],
                         tags=[("t", str(step))])
        print("batch", step, flush=True)
        name = "blob-%d.bin" % step
        client.store.artifacts(run_id).write_bytes(name, bytes([step % 251]) * (200_000 + step))
        print("artifact", name, flush=True)
        if step % 3 == 0:
            log_model(model, "model-%d" % step, run_id=run_id)
            print("model", step, flush=True)
        step += 1
""")


def _start(store_dir, trial: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "AUTOLOG_HEARTBEAT_INTERVAL": "0.2",
        "AUTOLOG_STRICT": "1",
        "AUTOLOG_TRACKING_URI": str(store_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(store_dir), str(trial), REPO],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_logging(child: subprocess.Popen) -> list:
    lines = []
    for line in child.stdout:  # the first committed metric: the child is in its loop
        lines.append(line.split())
        if lines[-1][0] == "metric":
            return lines
    raise AssertionError(child.stderr.read()[-2000:])


def _kill_after(child: subprocess.Popen, delay: float, lines: list) -> list:
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err[-3000:]
    # A line cut short by the kill is ignored: its value may or may not have been committed.
    return lines + [line.split() for line in out.splitlines() if len(line.split()) == 2]


def _check_committed(store, lines: list) -> None:
    run_id = lines[0][1]
    run = store.get_run(run_id)
    history = {m.step: m.value for m in store.get_metric_history(run_id, "loss")}
    repository = store.artifacts(run_id)
    listed = {info.path: info for info in repository.list_artifacts()}
    for kind, value in ((line[0], line[1]) for line in lines[1:]):
        if kind == "metric":
            assert history[int(value)] == float(value)
        elif kind == "batch":
            assert run.data.params[f"p{value}"] == value
        elif kind == "artifact":
            assert value in listed
        elif kind == "model":
            assert f"model-{value}" in listed
    for path, info in listed.items():  # nothing half-written is visible
        assert not os.path.basename(path).startswith("."), path
        if path.startswith("blob-"):
            step = int(path[5:-4])
            with open(repository.local_path(path), "rb") as handle:
                data = handle.read()
            assert data == bytes([step % 251]) * (200_000 + step), path
        elif path.startswith("model-"):
            assert "autolog-model.json" in [os.path.basename(i.path) for i in repository.list_artifacts(path)]


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_committed(tmp_path, monkeypatch):
    """Promise: after kill -9 at random points (20 trials), the store opens, every committed value is
    intact, no half-written artifact is visible, and each killed run reads KILLED once its heartbeat is stale."""
    store_dir = tmp_path / "store"
    rng = random.Random(7)
    trials = []
    for first in range(0, TRIALS, AT_ONCE):
        children = [_start(store_dir, trial) for trial in range(first, first + AT_ONCE)]
        started = [_wait_for_logging(child) for child in children]
        trials += [
            _kill_after(child, rng.uniform(0.0, 0.3), lines) for child, lines in zip(children, started)
        ]
    monkeypatch.setenv("AUTOLOG_HEARTBEAT_TIMEOUT", "1")
    time.sleep(1.2)
    assert_store_consistent(store_dir)
    store = open_store(str(store_dir))
    for lines in trials:
        _check_committed(store, lines)
    assert (
        sum(line[0] == "model" for lines in trials for line in lines) >= TRIALS
    )  # models were being written
    statuses = [store.get_run(lines[0][1]).info.status for lines in trials]
    assert statuses == ["KILLED"] * TRIALS
    assert store.count_runs("0", "attributes.status = 'KILLED'") == TRIALS
