"""Many processes and threads logging into one store at once: nothing lost, nothing duplicated.

Complements tests/store/test_concurrency.py (4 processes through the store layer) with the
issue-7 load through the public Client: 8 processes, threads inside half of them, params, tags and
200 metric steps per run, checked row by row; the same against PostgreSQL (smaller, it is a server).
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest
import sqlalchemy as sa
from joblib import parallel_backend
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

import autolog
from autolog.entities import Metric
from tests.reliability.conftest import autologging

X, y = load_iris(return_X_y=True)


def _log_runs(tracking_uri: str, worker: int, runs: int, steps: int, threads: int, artifact_root) -> None:
    import os

    if artifact_root:
        os.environ["AUTOLOG_ARTIFACT_ROOT"] = artifact_root
    client = autolog.Client(tracking_uri)

    def log(thread: int) -> None:
        for number in range(thread, runs, threads):
            name = f"w{worker}-r{number}"
            run_id = client.create_run("0", run_name=name, tags={"worker": str(worker)}).info.run_id
            client.log_batch(run_id, params=[("name", name), ("thread", str(thread))])
            client.set_tag(run_id, "number", str(number))
            direct = min(10, steps)
            for step in range(direct):  # one transaction per value
                client.log_metric(run_id, "loss", float(step), step=step)
            for start in range(direct, steps, 50):  # batches
                batch = [Metric("loss", float(s), 1, s) for s in range(start, min(start + 50, steps))]
                client.log_batch(run_id, metrics=batch)
            client.set_terminated(run_id)

    pool = [threading.Thread(target=log, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def _run_workers(tracking_uri, processes, runs, steps, artifact_root=None) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_log_runs, args=(tracking_uri, n, runs, steps, 1 + n % 2, artifact_root))
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(240)
    assert [worker.exitcode for worker in workers] == [0] * processes


def _check_every_row_once(client, processes, runs, steps) -> None:
    store = client.store
    assert store.count_runs("0") == processes * runs
    assert store.count_runs("0", "attributes.status = 'FINISHED'") == processes * runs
    with store._reader().connect() as connection:
        names = connection.execute(sa.text("SELECT name, count(*) FROM runs GROUP BY name")).all()
        assert sorted(names) == sorted((f"w{w}-r{r}", 1) for w in range(processes) for r in range(runs))
        per_run = connection.execute(
            sa.text(
                "SELECT r.name, count(*), count(DISTINCT m.step), min(m.step), max(m.step), "
                "sum(CASE WHEN m.value = m.step THEN 1 ELSE 0 END) "
                "FROM metrics m JOIN runs r ON r.run_id = m.run_id GROUP BY r.name"
            )
        ).all()
        assert len(per_run) == processes * runs
        assert all(row[1:] == (steps, steps, 0, steps - 1, steps) for row in per_run), per_run[:3]
        params = connection.execute(
            sa.text(
                "SELECT r.name, p.value FROM params p JOIN runs r ON r.run_id = p.run_id WHERE p.key = 'name'"
            )
        ).all()
        assert sorted(params) == sorted((name, name) for name, _ in names)
        tag_rows = connection.execute(
            sa.text("SELECT count(*) FROM tags WHERE key IN ('worker', 'number')")
        ).scalar()
        assert tag_rows == 2 * processes * runs
        latest = connection.execute(
            sa.text("SELECT count(*), min(step), max(step) FROM latest_metrics")
        ).one()
        assert tuple(latest) == (processes * runs, steps - 1, steps - 1)


@pytest.mark.slow
def test_eight_processes_with_threads_into_one_directory_store(tmp_path):
    """Promise: 8 processes (threads in half) x 50 runs x 200 steps + params + tags: every row exactly once."""
    store_dir = str(tmp_path / "store")
    _run_workers(store_dir, processes=8, runs=50, steps=200)
    _check_every_row_once(autolog.Client(store_dir), 8, 50, 200)


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_processes_into_postgresql(fresh_postgres_uri, tmp_path):
    """Promise: the same concurrent load on PostgreSQL (8 processes x 15 runs x 100 steps) loses nothing."""
    _run_workers(
        fresh_postgres_uri, processes=8, runs=15, steps=100, artifact_root=str(tmp_path / "artifacts")
    )
    _check_every_row_once(autolog.Client(fresh_postgres_uri), 8, 15, 100)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_grid_search_n_jobs_2_makes_one_parent_and_its_children(tmp_path, backend):
    """Promise: GridSearchCV(n_jobs=2) on processes or threads: 1 parent + max_tuning_runs children, no stray runs."""
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}  # 8 candidates x 3 folds
    with (
        autologging(tmp_path / "store", log_models=False, max_tuning_runs=5),
        parallel_backend(backend, n_jobs=2),
    ):
        GridSearchCV(LogisticRegression(max_iter=300), grid, cv=3, n_jobs=2).fit(X, y)
    runs = list(autolog.Client(str(tmp_path / "store")).search_runs(["0"], max_results=1000))
    parents = [run for run in runs if run.info.parent_run_id is None]
    assert [run.info.run_name for run in parents] == ["GridSearchCV"]
    children = [run for run in runs if run.info.parent_run_id == parents[0].info.run_id]
    assert len(children) == 5 and len(runs) == 6
    assert len({tuple(sorted(child.data.params.items())) for child in children}) == 5


def test_autologged_fits_in_threads_keep_their_own_runs(tmp_path):
    """Promise: 4 threads fitting and scoring at once: one run per fit with its own params and metric."""
    from sklearn.metrics import accuracy_score

    errors = []

    def work(thread: int) -> None:
        try:
            for number in range(6):
                model = LogisticRegression(C=thread + number / 100, max_iter=300).fit(X, y)
                accuracy_score(y, model.predict(X))
        except Exception as error:
            errors.append(error)

    with autologging(tmp_path / "store", log_models=False):
        pool = [threading.Thread(target=work, args=(t + 1,)) for t in range(4)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    assert errors == []
    runs = list(autolog.Client(str(tmp_path / "store")).search_runs(["0"], max_results=1000))
    assert sorted(float(run.data.params["C"]) for run in runs) == sorted(
        t + 1 + n / 100 for t in range(4) for n in range(6)
    )
    assert all(run.info.status == "FINISHED" and "accuracy_score_X" in run.data.metrics for run in runs)
