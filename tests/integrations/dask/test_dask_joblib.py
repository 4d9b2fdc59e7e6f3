"""Dask: scikit-learn searches and cross-validation under ``joblib.parallel_backend("dask")`` on a
real ``distributed.LocalCluster`` of 2 worker processes record exactly what they record on loky."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")

import joblib
import sklearn.model_selection
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog import autolog as enable_autolog
from autolog._core._process import PROCESS

pytestmark = pytest.mark.slow


def _enable_in_worker():
    import autolog as worker_autolog

    worker_autolog.autolog(log_models=False)  # autologging on in the workers too: still no stray run
    return True


@pytest.fixture
def dask_client(tracking_dir, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tracking_dir))  # inherited by the worker processes
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    assert all(client.run(_enable_in_worker).values())
    yield client
    client.close()
    cluster.close()


def _train(backend):
    X, y = load_iris(return_X_y=True)
    with joblib.parallel_backend(backend, n_jobs=2):
        sklearn.model_selection.GridSearchCV(
            LogisticRegression(max_iter=300), {"C": [0.05, 0.5, 5.0, 50.0]}, cv=3, n_jobs=2
        ).fit(X, y)
        sklearn.model_selection.cross_validate(LogisticRegression(max_iter=300), X, y, cv=3, n_jobs=2)


def _tree(client, experiment_id):
    runs = list(client.search_runs([experiment_id], max_results=1000))
    by_id = {run.info.run_id: run for run in runs}

    def describe(run):
        parent = by_id[run.info.parent_run_id].info.run_name if run.info.parent_run_id else None
        metrics = {k: round(v, 6) for k, v in run.data.metrics.items() if "time" not in k}
        return (
            run.info.run_name,
            parent,
            run.info.status,
            tuple(sorted(run.data.params.items())),
            tuple(sorted(metrics.items())),
        )

    return sorted(describe(run) for run in runs)


def test_grid_search_and_cross_validate_on_dask_record_what_loky_records(dask_client, tracking_dir):
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False, max_tuning_runs=3)
    try:
        client = autolog.Client(str(tracking_dir))
        loky = autolog.create_experiment("loky")
        dask = autolog.create_experiment("dask")
        autolog.set_experiment(experiment_id=loky)
        _train("loky")
        autolog.set_experiment(experiment_id=dask)
        _train("dask")
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)
        PROCESS.reset("tracking.fluent")  # forget the active experiment of this test's store
    on_dask = _tree(client, dask)
    assert on_dask == _tree(client, loky)
    names = [(name, parent) for name, parent, *_ in on_dask]
    assert (
        names.count(("GridSearchCV", None)) == 1
        and names.count(("LogisticRegression-cross_validate", None)) == 1
    )
    assert sum(parent == "GridSearchCV" for _, parent in names) == 3 and len(names) == 5
    assert list(client.search_runs(["0"])) == []  # nothing written by a worker elsewhere
