"""Workload 2: GridSearchCV(LogisticRegression, 8 C x 2 penalties, cv=5) on 2000x20.

One fresh process per repeat: plain searches, the first autologged one, then pairs (plain with
autologging disabled, autologged) as in fit.py.
"""

from __future__ import annotations

import statistics
import tempfile

from workloads._common import api, check, classification, ms_since, now

C_VALUES = [0.001, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0]


def make_search():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    grid = {"C": C_VALUES, "penalty": ["l1", "l2"]}
    return GridSearchCV(LogisticRegression(solver="liblinear", max_iter=200), grid, cv=5)


def timed_searches(X, y, n: int) -> list[float]:
    out = []
    for _ in range(n):
        search = make_search()
        t0 = now()
        search.fit(X, y)
        out.append(ms_since(t0))
    return out


def verify(a, cl, n_fits: int) -> dict:
    runs = a.all_runs(cl)
    top = [r for r in runs if not a.parent_id(r)]
    check(len(top) == n_fits, f"{a.NAME}: {len(top)} parent runs for {n_fits} searches")
    for r in top:
        check(bool(r.data.metrics), f"{a.NAME}: parent run {r.info.run_id} has no metrics")
        check(any("C" in k for k in r.data.params), f"{a.NAME}: parent run lacks the C param")
        check(a.has_model(cl, r.info.run_id), f"{a.NAME}: parent run has no model")
    return {"runs": len(runs), "parent_runs": len(top), "child_runs": len(runs) - len(top)}


def run(side: str, plain_n: int, auto_n: int) -> dict:
    a = api(side)
    X, y = classification(2000)
    a.configure(tempfile.mkdtemp(prefix=f"bench-{side}-"))
    make_search().fit(X, y)  # warm-up
    plain = timed_searches(X, y, plain_n)
    a.enable()
    first = timed_searches(X, y, 1)[0]
    paired_plain, auto = [], []
    for _ in range(auto_n):
        a.disable()
        paired_plain += timed_searches(X, y, 1)
        a.enable()
        auto += timed_searches(X, y, 1)
    checks = verify(a, a.client(), auto_n + 1)
    base = statistics.median(plain)
    return {
        "samples": {
            "plain_ms": plain,
            "paired_plain_ms": paired_plain,
            "auto_ms": auto,
            "overhead_ms": [t - p for t, p in zip(auto, paired_plain)],
            "overhead_pct": [100.0 * (t - p) / p for t, p in zip(auto, paired_plain)],
            "first_overhead_pct": [100.0 * (first - base) / base],
            "runs_per_search": [checks["runs"] / (auto_n + 1)],
        },
        "checks": checks,
    }


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    return run("mlflow", **kw)
