"""Helpers shared by the workloads: timers, data sets, directory snapshots, checks."""

from __future__ import annotations

import os
import time


def now() -> float:
    return time.perf_counter()


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1e3


def api(side: str):
    """The adapter module for a side: same function names, one per library."""
    if side == "autolog":
        from workloads import _autolog_api as mod
    else:
        from workloads import _mlflow_api as mod
    return mod


def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


def classification(n_samples: int, n_features: int = 20):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n_samples, n_features=n_features, random_state=0)


def snapshot(root: str) -> dict[str, int]:
    """path -> size for every file under root, and path -> -1 for every directory."""
    seen: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            seen[os.path.join(dirpath, d)] = -1
        for f in filenames:
            p = os.path.join(dirpath, f)
            try:
                seen[p] = os.path.getsize(p)
            except OSError:
                pass
    return seen


def diff_snapshots(before: dict, after: dict) -> dict:
    new = [p for p in after if p not in before]
    return {
        "files": sum(1 for p in new if after[p] >= 0),
        "dirs": sum(1 for p in new if after[p] < 0),
        "bytes": sum(v for v in after.values() if v > 0) - sum(v for v in before.values() if v > 0),
        "new_paths": sorted(os.path.relpath(p, os.getcwd()) for p in new)[:40],
    }


def check(cond: bool, message: str) -> None:
    """Fail loudly: a workload whose side did not do the work must not produce a number."""
    if not cond:
        raise AssertionError(f"CHECK FAILED: {message}")
