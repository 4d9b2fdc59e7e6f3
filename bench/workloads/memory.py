"""Autolog only: memory over N autologged LogisticRegression fits in one process.

Flat means: no estimator kept alive (weak references all dead after gc), and tracemalloc's
current size and the RSS barely move over the second half of the loop.
"""

from __future__ import annotations

import gc
import tempfile
import tracemalloc
import weakref

from workloads._common import api, check, iris


def rss_kib() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    return 0


def run(side: str, n: int) -> dict:
    from sklearn.linear_model import LogisticRegression

    a = api(side)
    a.configure(tempfile.mkdtemp(prefix=f"bench-{side}-"))
    a.enable()
    X, y = iris()
    refs = []
    for _ in range(3):  # warm-up: lazy imports, store, caches
        LogisticRegression(max_iter=200).fit(X, y)
    gc.collect()
    tracemalloc.start()
    marks = []
    for i in range(n):
        est = LogisticRegression(max_iter=200).fit(X, y)
        refs.append(weakref.ref(est))
        del est
        if (i + 1) % max(1, n // 10) == 0:
            gc.collect()
            marks.append((i + 1, tracemalloc.get_traced_memory()[0], rss_kib()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    gc.collect()
    alive = sum(1 for r in refs if r() is not None)
    runs = len(a.all_runs(a.client()))
    check(runs == n + 3, f"{a.NAME}: {runs} runs for {n + 3} fits")
    half = marks[len(marks) // 2 - 1]
    last = marks[-1]
    return {
        "samples": {
            "estimators_alive": [alive],
            "traced_growth_2nd_half_kib": [(last[1] - half[1]) / 1024],
            "rss_growth_2nd_half_kib": [last[2] - half[2]],
            "traced_peak_mib": [peak / 2**20],
            "rss_end_mib": [last[2] / 1024],
        },
        "checks": {"marks": marks, "runs": runs},
    }


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    return run("mlflow", **kw)
