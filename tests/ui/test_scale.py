"""The runs page on a large store: SQL-side filter, sort and paging answer every page correctly.

The store is filled by bulk inserts into the store's own tables (creating the runs one by one
through the API would take minutes). Timings are printed (``pytest -s``) but not asserted: the
100,000-run measurement lives in ``bench/`` (workload ``ui``), away from a loaded test machine.
"""

from __future__ import annotations

import random
import time
import uuid

import pytest

N_RUNS = 30_000


def _bulk_runs(store, experiment_id: str, count: int, seed: int) -> str:
    from autolog.store import _schema as s

    rng = random.Random(seed)
    now = int(time.time() * 1000)
    location = store.get_experiment(experiment_id).artifact_location
    run_rows, param_rows, metric_rows = [], [], []
    for i in range(count):
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        start = now - (count - i) * 1000
        run_rows.append(
            dict(
                run_id=run_id,
                experiment_id=int(experiment_id),
                name=f"run-{i}",
                status="FINISHED",
                start_time=start,
                end_time=start + 500,
                user_id="bench",
                source="bulk.py",
                parent_run_id=None,
                lifecycle_stage="active",
                artifact_uri=f"{location}/{run_id}",
                owner_host=None,
                owner_pid=None,
                heartbeat_time=start,
            )
        )
        param_rows += [
            dict(run_id=run_id, key="C", value=str(i % 50)),
            dict(run_id=run_id, key="penalty", value="l1" if i % 2 else "l2"),
        ]
        acc = rng.random()
        metric_rows += [
            dict(run_id=run_id, key="accuracy", value=acc, is_nan=False, timestamp=start, step=0),
            dict(run_id=run_id, key="loss", value=1 - acc, is_nan=False, timestamp=start, step=0),
        ]
    # Rows in primary-key order and a large page cache keep SQLite's B-tree inserts sequential.
    run_rows.sort(key=lambda row: row["run_id"])
    param_rows.sort(key=lambda row: (row["run_id"], row["key"]))
    metric_rows.sort(key=lambda row: (row["run_id"], row["key"]))
    last_run_id = max(run_rows, key=lambda row: row["start_time"])["run_id"]
    with store._writer().begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        connection.execute(s.runs.insert(), run_rows)
        connection.execute(s.params.insert(), param_rows)
        connection.execute(s.metrics.insert(), metric_rows)
        connection.execute(s.latest_metrics.insert(), metric_rows)
    return last_run_id


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    from autolog import Client

    client = Client(str(tmp_path_factory.mktemp("big") / "store"))
    big = client.create_experiment("big")
    medium = client.create_experiment("medium")
    started = time.perf_counter()
    last_run = _bulk_runs(client.store, big, N_RUNS, seed=1)
    _bulk_runs(client.store, medium, 10_000, seed=2)
    print(f"\n[scale] inserted {N_RUNS + 10_000:,} runs in {time.perf_counter() - started:.1f} s")
    return client, big, medium, last_run


def _timed(http, url, params=None) -> float:
    http.get(url, params=params)  # warm the page cache once
    started = time.perf_counter()
    response = http.get(url, params=params)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    return elapsed


@pytest.mark.slow
def test_runs_pages_on_a_large_store(big_store):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    client, big, medium, last_run = big_store
    with TestClient(create_app(client.tracking_uri), base_url="http://127.0.0.1:5000") as http:
        cases = {
            "big first page (newest first)": (f"/experiments/{big}", None),
            "big sorted by metric": (f"/experiments/{big}", {"sort": "metrics.accuracy", "dir": "desc"}),
            "big filtered + sorted": (
                f"/experiments/{big}",
                {"q": "metrics.accuracy > 0.5 and params.penalty = 'l1'", "sort": "metrics.accuracy"},
            ),
            "10k first page": (f"/experiments/{medium}", None),
            "10k sorted by metric + filtered": (
                f"/experiments/{medium}",
                {"q": "metrics.accuracy > 0.5", "sort": "metrics.accuracy"},
            ),
            "big API page of 100": (f"/api/experiments/{big}/runs", {"order_by": "metrics.loss ASC"}),
            "run page": (f"/runs/{last_run}", None),
            "experiments page": ("/", None),
        }
        timings = {name: _timed(http, url, params) for name, (url, params) in cases.items()}
        page = http.get(f"/experiments/{big}").text
        assert f"of {N_RUNS:,}" in page
    for name, seconds in timings.items():
        print(f"[scale] {name:<34} {seconds * 1000:8.1f} ms")
