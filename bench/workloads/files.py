"""Workload 8: files, directories and bytes that one autologged LogisticRegression fit adds to
the store (after two fits have created the store, experiment and caches)."""

from __future__ import annotations

import os
import tempfile

from workloads._common import api, check, diff_snapshots, iris, snapshot


def run(side: str, fits: int) -> dict:
    from sklearn.linear_model import LogisticRegression

    a = api(side)
    workdir = tempfile.mkdtemp(prefix=f"bench-{side}-")
    os.chdir(workdir)  # MLflow's default artifact root is ./mlruns
    a.configure(workdir)
    a.enable()
    X, y = iris()
    for _ in range(2):
        LogisticRegression(max_iter=200).fit(X, y)
    deltas = []
    for _ in range(fits):
        before = snapshot(workdir)
        LogisticRegression(max_iter=200).fit(X, y)
        deltas.append(diff_snapshots(before, snapshot(workdir)))
    runs = a.all_runs(a.client())
    check(len(runs) == fits + 2, f"{a.NAME}: {len(runs)} runs for {fits + 2} fits")
    return {
        "samples": {
            "files_per_fit": [d["files"] for d in deltas],
            "dirs_per_fit": [d["dirs"] for d in deltas],
            "kb_per_fit": [d["bytes"] / 1024 for d in deltas],
        },
        "checks": {"new_paths_last_fit": deltas[-1]["new_paths"]},
    }


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    return run("mlflow", **kw)
