"""Faults injected into autologging: the user's fit comes out as without autolog (BRIEF section 4).

For every fault: the fit's return value equals the fit without autolog (or the same exception
object propagates), at most one warning is added, and the store stays consistent and readable.
These run in non-strict mode (``lenient``), as users run autolog.

How the faults are produced, from inside the user's fit (a FunctionTransformer step of a
Pipeline), i.e. after the run was created:
- disk full: a real 8 MB tmpfs is mounted (CI runs as root; skipped where mounting is not allowed)
  and a filler file takes every free byte, so SQLite and the artifact writer get the kernel's own
  ENOSPC;
- read-only: the store directory tree is chmod a-w in a child process that runs without root's
  file capabilities (setpriv), so new files fail EACCES (a remount,ro is refused while SQLite holds
  the file open: "mount point is busy");
- locked: another process holds ``BEGIN EXCLUSIVE`` longer than the busy timeout (lowered to
  0.2 s for the test).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from autolog.engine import in_training_call
from autolog.store import _sqlite
from autolog.tracking._heartbeat import KEEPER
from tests.reliability.conftest import (
    assert_same_fit,
    assert_store_consistent,
    autologging,
    extra_warnings,
    fit_logged,
    fit_plain,
    tmpfs,
)

X, y = load_iris(return_X_y=True)


def _check_fit_unchanged(store_dir, make, *args, **kwargs):
    plain, plain_warnings, plain_error = fit_plain(make, *args, **kwargs)
    logged, logged_warnings, logged_error = fit_logged(make, *args, **kwargs)
    assert (plain_error is None) == (logged_error is None), (plain_error, logged_error)
    if plain_error is None:
        assert_same_fit(plain, logged)
    else:
        assert type(logged_error) is type(plain_error) and str(logged_error) == str(plain_error)
    added = extra_warnings(plain_warnings, logged_warnings)
    assert len(added) <= 1, [str(w.message)[:300] for w in added]
    return logged, added, logged_error


class _Trigger:
    """A picklable step function that runs ``action`` once, in the middle of the user's fit."""

    action = None

    def __call__(self, data):
        if not in_training_call():
            return data  # the plain fit runs without the fault
        action, _Trigger.action = _Trigger.action, None
        if action is not None:
            action()
        return data


def _pipeline():
    return make_pipeline(FunctionTransformer(_Trigger()), LogisticRegression(max_iter=300, random_state=0))


# --- the disk ----------------------------------------------------------------------------------


_READ_ONLY_SCRIPT = textwrap.dedent("""
    import json, os, stat, sys, warnings
    sys.path.insert(0, sys.argv[2])
    import autolog
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from tests.reliability import test_faults as faults
    from tests.reliability.conftest import assert_same_fit, extra_warnings, fit_logged, fit_plain

    def make_read_only():
        for directory, subdirs, files in os.walk(sys.argv[1]):
            for name in subdirs + files + ["."]:
                path = os.path.join(directory, name)
                os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & ~0o222)

    X, y = load_iris(return_X_y=True)
    autolog.set_tracking_uri(sys.argv[1])
    autolog.autolog()
    LogisticRegression(max_iter=300).fit(X, y)
    plain, plain_warnings, plain_error = fit_plain(faults._pipeline, X, y)
    faults._Trigger.action = make_read_only
    logged, logged_warnings, logged_error = fit_logged(faults._pipeline, X, y)
    assert plain_error is None and logged_error is None, (plain_error, logged_error)
    assert faults._Trigger.action is None, "the fault was not injected"
    assert_same_fit(plain, logged)
    added = extra_warnings(plain_warnings, logged_warnings)
    print(json.dumps([str(w.message)[:300] for w in added]))
""")


def _without_root_privileges(command: list) -> list:
    """Root ignores file modes: drop the capabilities that let it (util-linux setpriv)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable", *command]


def test_store_turning_read_only_mid_fit_leaves_the_fit_unchanged(tmp_path):
    """Promise: the store directory turning read-only (chmod a-w) during a fit changes neither the fit nor the store.

    The fit runs in a child process without root's file capabilities (root ignores modes); the
    SQLite file stays writable through its open descriptor, new files (artifacts) fail EACCES.
    """
    store_dir = tmp_path / "store"
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "AUTOLOG_STRICT": "0", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    command = _without_root_privileges([sys.executable, "-c", _READ_ONLY_SCRIPT, str(store_dir), repo])
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    added = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(added) <= 1, added
    subprocess.run(["chmod", "-R", "u+w", str(store_dir)], check=True)
    runs = assert_store_consistent(store_dir)
    assert len(runs) == 2
    _assert_no_partial_model(store_dir)


def test_disk_full_mid_fit_leaves_the_fit_unchanged(tmp_path, lenient):
    """Promise: ENOSPC on every write after the fit started changes neither the fit nor the store."""
    mount = tmp_path / "mnt"
    with tmpfs(mount, "8m"):
        store_dir = mount / "store"
        filler = mount / "filler"

        def fill_the_disk():
            with open(filler, "wb") as handle:
                try:
                    while True:
                        handle.write(b"\0" * 65536)
                        handle.flush()
                except OSError as error:
                    assert error.errno == errno.ENOSPC

        with autologging(store_dir):
            LogisticRegression(max_iter=300).fit(X, y)
            _Trigger.action = fill_the_disk
            _check_fit_unchanged(store_dir, _pipeline, X, y)
        assert filler.exists()
        filler.unlink()
        _assert_no_partial_model(store_dir)
        _assert_ended_once_the_store_is_back(store_dir)


def _assert_ended_once_the_store_is_back(store_dir):
    """The run whose end the fault blocked is FINISHED at the next heartbeat, not RUNNING forever."""
    KEEPER.beat_now()  # what the heartbeat thread does every AUTOLOG_HEARTBEAT_INTERVAL
    runs = assert_store_consistent(store_dir)
    assert sorted(run.info.status for run in runs) == ["FINISHED", "FINISHED"]


def _assert_no_partial_model(store_dir):
    for directory, subdirs, files in os.walk(store_dir):
        for name in files + subdirs:
            assert not name.startswith(".tmp-") and ".autolog-tmp-" not in name, os.path.join(directory, name)
        if os.path.basename(directory) == "model" and files:
            assert "autolog-model.json" in files, directory


_LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.execute("ROLLBACK")
""")


def test_database_locked_longer_than_the_busy_timeout(tmp_path, lenient, monkeypatch):
    """Promise: another process holding the write lock past the busy timeout never breaks the fit."""
    monkeypatch.setattr(_sqlite, "BUSY_TIMEOUT_S", 0.2)
    store_dir = tmp_path / "store"
    lockers = []

    def lock_the_database():
        locker = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(store_dir / "autolog.db"), "2.0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout.readline().strip() == "locked"
        lockers.append(locker)

    with autologging(store_dir):
        LogisticRegression(max_iter=300).fit(X, y)
        _Trigger.action = lock_the_database
        _check_fit_unchanged(store_dir, _pipeline, X, y)
    assert lockers and lockers[0].wait(30) == 0
    _assert_ended_once_the_store_is_back(store_dir)


def test_database_locked_before_the_run_starts(tmp_path, lenient, monkeypatch):
    """Promise: a store locked past the busy timeout when the run would be created costs the run, not the fit."""
    monkeypatch.setattr(_sqlite, "BUSY_TIMEOUT_S", 0.2)
    store_dir = tmp_path / "store"
    with autologging(store_dir):
        LogisticRegression(max_iter=300).fit(X, y)  # the store exists
        locker = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(store_dir / "autolog.db"), "2.5"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout.readline().strip() == "locked"
        _check_fit_unchanged(store_dir, lambda: LogisticRegression(max_iter=300, C=0.5), X, y)
    assert locker.wait(30) == 0
    runs = assert_store_consistent(store_dir)
    assert [(run.info.run_name, run.info.status) for run in runs] == [("LogisticRegression", "FINISHED")]


# --- the estimator -----------------------------------------------------------------------------


def test_unpicklable_estimator_with_a_lambda_param(tmp_path, lenient):
    """Promise: an estimator that cannot be pickled (lambda kernel) fits as usual; the run is recorded."""
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(tmp_path, lambda: SVC(kernel=lambda a, b: a @ b.T), X, y)
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FINISHED" and "lambda" in run.data.params["kernel"]


class ParamsFail(LinearRegression):
    def get_params(self, deep=True):
        if deep:
            raise RuntimeError("get_params(deep=True) is broken")
        return super().get_params(deep=False)


def test_get_params_raising(tmp_path, lenient):
    """Promise: get_params raising inside autolog does not change the fit."""
    with autologging(tmp_path / "store"):
        _, added, _ = _check_fit_unchanged(tmp_path, ParamsFail, X, y)
    assert_store_consistent(tmp_path / "store")


class PredictFails(LogisticRegression):
    def predict(self, X):
        raise RuntimeError("predict is broken")


def test_predict_raising_during_training_metrics(tmp_path, lenient):
    """Promise: predict raising while autolog computes training metrics does not change the fit."""
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(tmp_path, lambda: PredictFails(max_iter=300), X, y)
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FINISHED"


def test_single_class_target(tmp_path, lenient):
    """Promise: undefined metrics (one class in y) add no failure and at most one warning."""
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(tmp_path, lambda: DecisionTreeClassifier(random_state=0), X, np.zeros(len(X)))
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FINISHED"
    assert all(np.isfinite(value) for value in run.data.metrics.values())


class NaNPredictions(LinearRegression):
    def predict(self, X):
        return np.full(len(X), np.nan)


def test_nan_predictions(tmp_path, lenient):
    """Promise: NaN predictions (undefined metrics) do not change the fit; no NaN metric is stored."""
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(tmp_path, NaNPredictions, X, y)
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FINISHED"


# --- params and data ---------------------------------------------------------------------------


class WithPayload(LinearRegression):
    def __init__(self, payload=None, *, fit_intercept=True):
        super().__init__(fit_intercept=fit_intercept)
        self.payload = payload


class HugeRepr:
    def __repr__(self):
        return "x" * 10_000_000


PAYLOADS = {
    "10 MB string": "p" * 10_000_000,
    "10 MB repr": HugeRepr(),
    "1M-item list": list(range(1_000_000)),
    "unicode": "\u00e9\u4e2d\u6587 \U0001f600 \u202eevil\u202c \x00nul \ud7ff \ud800lone",
    "bytes": b"\x00\xff raw",
    "dict with odd keys": {(1, 2): {3.5: None}, "b": float("nan"), "c": -float("inf")},
    "set": {3, 1, 2},
    "numpy array": np.arange(100_000).reshape(1000, 100),
    "complex": 1 + 2j,
    "type": int,
}


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_huge_unicode_and_non_string_params(tmp_path, lenient, name):
    """Promise: any param value (huge, unicode, non-string) is logged (truncated if long), fit unchanged."""
    payload = PAYLOADS[name]
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(tmp_path, lambda: WithPayload(payload), X, y)
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FINISHED"
    assert 0 < len(run.data.params["payload"]) <= 6000


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_data(tmp_path, lenient, bad):
    """Promise: NaN/inf in X fits (or fails) exactly as without autolog; the run says which."""
    data = X.copy()
    data[::7, 1] = bad
    with autologging(tmp_path / "store"):
        _check_fit_unchanged(
            tmp_path, lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0), data, y
        )
        _, _, error = _check_fit_unchanged(tmp_path, LinearRegression, data, y)
    runs = assert_store_consistent(tmp_path / "store")
    statuses = {run.info.run_name: run.info.status for run in runs}
    assert statuses["HistGradientBoostingClassifier"] in ("FINISHED", "FAILED")
    assert statuses["LinearRegression"] == ("FAILED" if error is not None else "FINISHED")


# --- the user's own exceptions -----------------------------------------------------------------

THE_ERROR = ValueError("the user's own error")


def _raise(error):
    def action():
        raise error

    return action


def test_users_exception_is_the_same_object_and_the_run_failed(tmp_path, lenient):
    """Promise: an exception from the user's code inside the fit propagates as the same object; run FAILED."""
    with autologging(tmp_path / "store"):
        _Trigger.action = _raise(THE_ERROR)
        _, added, error = fit_logged(_pipeline, X, y)
    assert error is THE_ERROR and added == []
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "FAILED"


def test_keyboard_interrupt_propagates_and_the_run_is_killed(tmp_path, lenient):
    """Promise: Ctrl-C during a fit propagates (same object) and the run is KILLED."""
    interrupt = KeyboardInterrupt()
    with autologging(tmp_path / "store"):
        _Trigger.action = _raise(interrupt)
        _, added, error = fit_logged(_pipeline, X, y)
    assert error is interrupt and added == []
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "KILLED"


def test_keyboard_interrupt_while_autolog_logs_after_the_fit(tmp_path, lenient, monkeypatch):
    """Promise: Ctrl-C while autolog writes the fit's results propagates and the run is KILLED, not left RUNNING."""
    from autolog.integrations.sklearn import _run_recorder

    interrupt = KeyboardInterrupt()

    def interrupted(*args, **kwargs):
        raise interrupt

    monkeypatch.setattr(_run_recorder, "training_metrics", interrupted)
    with autologging(tmp_path / "store"):
        _, added, error = fit_logged(lambda: LogisticRegression(max_iter=300), X, y)
    assert error is interrupt and added == []
    (run,) = assert_store_consistent(tmp_path / "store")
    assert run.info.status == "KILLED"
