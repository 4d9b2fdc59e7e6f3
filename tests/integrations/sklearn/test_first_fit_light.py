"""Promise: a process's first autologged fit into a SQLite store never imports SQLAlchemy.

Importing SQLAlchemy alone costs more than that fit's overhead budget (issue #13), so the fit
creates or opens the store and writes the whole run (params, metrics, tags, artifact and model
records, heartbeats) through stdlib ``sqlite3``; each case runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import autolog
from autolog.store import open_store

_FIT = textwrap.dedent("""
    import json, sys, threading
    import autolog
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    autolog.set_tracking_uri(sys.argv[1])
    autolog.autolog()
    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=300).fit(X, y)
    from autolog.tracking import get_store
    get_store().heartbeat(["0" * 32])  # what the heartbeat thread does during a longer fit
    for thread in threading.enumerate():  # autolog's background work included
        if thread is not threading.current_thread() and thread.name != "autolog-heartbeat":
            thread.join(30)
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("sqlalchemy", "alembic"))
    print(json.dumps({"loaded": loaded}))
""")


def _fit_in_fresh_process(tracking_dir) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _FIT, str(tracking_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["loaded"]


def _check_complete(tracking_dir, runs: int) -> None:
    store = open_store(str(tracking_dir))
    found = store.search_runs(["0"], max_results=10)
    assert len(found) == runs
    for run in found:
        assert run.info.status == "FINISHED"
        assert run.data.params["max_iter"] == "300"
        assert run.data.metrics["training_accuracy_score"] > 0.9
        assert run.data.tags["estimator_name"] == "LogisticRegression"
        assert store.get_model_record(run.info.run_id, "model") is not None
        assert store.artifacts(run.info.run_id).recorded_files("model")
        autolog.set_tracking_uri(str(tracking_dir))
        try:
            model = autolog.load_model(f"runs:/{run.info.run_id}/model")
        finally:
            autolog.set_tracking_uri(None)
        assert type(model).__name__ == "LogisticRegression"
    store.close()


@pytest.mark.slow
def test_first_fits_into_a_new_and_an_existing_store_leave_sqlalchemy_unimported(tmp_path):
    tracking_dir = tmp_path / "runs"
    assert _fit_in_fresh_process(tracking_dir) == []  # creates the store
    _check_complete(tracking_dir, runs=1)
    assert _fit_in_fresh_process(tracking_dir) == []  # opens it
    _check_complete(tracking_dir, runs=2)
