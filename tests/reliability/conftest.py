"""Shared helpers of the reliability suite: a lenient (non-strict) contract, store checks, fit comparison."""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import sqlite3
import subprocess
import warnings

import numpy as np
import pytest

import autolog
from autolog import autolog as enable_autolog
from autolog._core._process import PROCESS
from autolog.entities import ViewType
from autolog.store import open_store


@pytest.fixture
def lenient(monkeypatch):
    """Non-strict mode: internal failures become (at most one) warning, as for users."""
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")


@contextlib.contextmanager
def autologging(store_dir, **options):
    """Autolog on into the directory store ``store_dir`` for the block."""
    autolog.set_tracking_uri(str(store_dir))
    enable_autolog(**options)
    try:
        yield
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)


def fit_plain(make, *args, **kwargs):
    """Fit a fresh estimator without autolog: (result, warnings, exception)."""
    with autolog.disabled():
        return _fit(make, args, kwargs)


def fit_logged(make, *args, **kwargs):
    """Fit a fresh estimator with autolog as configured: (result, warnings, exception)."""
    return _fit(make, args, kwargs)


def _fit(make, args, kwargs):
    estimator = make()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = estimator.fit(*args, **kwargs)
        except BaseException as error:
            return estimator, caught, error
    assert result is estimator, "fit() must return the estimator itself"
    return result, caught, None


def fitted_state(estimator) -> dict:
    """The learned attributes (ending in ``_``) of an estimator, for equality checks."""
    return {
        key: value for key, value in vars(estimator).items() if key.endswith("_") and not key.startswith("_")
    }


def assert_same_value(a, b, where="") -> None:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_value(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same_value(x, y, f"{where}[{index}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    elif hasattr(a, "get_params") and hasattr(b, "get_params"):
        assert type(a) is type(b), where
        assert_same_value(fitted_state(a), fitted_state(b), where)
    elif type(a) is type(b) and hasattr(a, "__getstate__") and not isinstance(a, (str, bytes, int, float)):
        state = a.__getstate__()
        if state is None or not isinstance(state, dict):
            assert pickle.dumps(a) == pickle.dumps(b), where
        else:
            assert_same_value(state, b.__getstate__(), where)  # e.g. sklearn's Tree
    else:
        assert a == b, where


def assert_same_fit(plain, logged) -> None:
    """Both fits came out identical: same type, same learned attributes."""
    assert type(plain) is type(logged)
    assert_same_value(fitted_state(plain), fitted_state(logged), type(plain).__name__)


def extra_warnings(plain_caught, logged_caught) -> list:
    """Warnings the autologged fit emitted beyond those of the plain fit (by category and text)."""
    remaining = [(w.category, str(w.message)) for w in plain_caught]
    extra = []
    for w in logged_caught:
        if issubclass(w.category, ResourceWarning):
            continue  # garbage collection of some other test's object, at a random moment
        key = (w.category, str(w.message))
        if key in remaining:
            remaining.remove(key)
        else:
            extra.append(w)
    return extra


def assert_store_consistent(store_dir) -> list:
    """The directory store opens, passes SQLite's integrity check, and every run reads back.

    Returns the runs (all experiments, active and deleted).
    """
    db = os.path.join(str(store_dir), "autolog.db")
    if os.path.exists(db):
        connection = sqlite3.connect(db)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            connection.close()
    store = open_store(str(store_dir))
    try:
        experiment_ids = [e.experiment_id for e in store.search_experiments(ViewType.ALL)]
        runs = list(store.search_runs(experiment_ids, view_type=ViewType.ALL, max_results=50000))
        for run in runs:
            again = store.get_run(run.info.run_id)
            for key in again.data.metrics:
                assert store.get_metric_history(run.info.run_id, key)
            store.artifacts(run.info.run_id).list_artifacts()
        return runs
    finally:
        store.close()


def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI containers)."""
    if os.geteuid() != 0:
        return False
    probe = "/proc/self/mounts"
    return os.path.exists(probe) and subprocess.run(["which", "mount"], capture_output=True).returncode == 0


@contextlib.contextmanager
def tmpfs(path, size: str):
    """A real tmpfs of ``size`` at ``path`` (root only); unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(path)], capture_output=True)
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
