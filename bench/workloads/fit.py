"""Workload 1 (and 3): a plain fit, without autologging then with it, in the same process.

One fresh process per repeat (first-fit costs are process state): pure plain fits first, then
the first autologged fit, then pairs (autologging disabled: plain fit; re-enabled: autologged fit).
Each overhead sample is one pair's difference, so slow drifts in machine load cancel out.
"""

from __future__ import annotations

import statistics
import tempfile

from workloads._common import api, check, classification, iris, ms_since, now


def make_estimator(model: str):
    if model == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=200)
    if model == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=50, random_state=0)
    if model == "pipeline":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=200))])
    raise ValueError(model)


def dataset(model: str):
    return classification(5000) if model == "rf" else iris()


def paired_fits(a, model: str, X, y, n: int, opts: dict) -> tuple[list, list]:
    """n pairs of (plain fit with autologging disabled, autologged fit), adjacent in time."""
    plain, auto = [], []
    for _ in range(n):
        a.disable()  # both libraries restore the originals
        plain += timed_fits(model, X, y, 1)
        a.enable(**opts)
        auto += timed_fits(model, X, y, 1)
    return plain, auto


def timed_fits(model: str, X, y, n: int) -> list[float]:
    out = []
    for _ in range(n):
        est = make_estimator(model)
        t0 = now()
        est.fit(X, y)
        out.append(ms_since(t0))
    return out


def plot_data_ms(model: str, X, y, n: int = 20) -> list[float]:
    """What the evaluation plot data adds to one autologged fit: the curves, histogram and
    importances from the predictions the training metrics already made, and their JSON text
    (the artifact write itself is counted in the fit overhead rows)."""
    from autolog.integrations.sklearn._evaluation import evaluation_data, to_json
    from autolog.integrations.sklearn._metrics import training_metrics

    est = make_estimator(model).fit(X, y)
    collected: dict = {}
    training_metrics(est, X, y, collected=collected)
    out = []
    for _ in range(n):
        t0 = now()
        to_json(evaluation_data(est, X, collected))
        out.append(ms_since(t0))
    return out


def options(mode: str) -> dict:
    return {"log_models": False} if mode == "no_models" else {}


def verify(a, cl, n_fits: int, mode: str) -> dict:
    runs = a.all_runs(cl)
    top = [r for r in runs if not a.parent_id(r)]
    check(len(top) == n_fits, f"{a.NAME}: {len(top)} top-level runs for {n_fits} fits")
    for r in top:
        check(bool(r.data.metrics), f"{a.NAME}: run {r.info.run_id} has no metrics")
        check(bool(r.data.params), f"{a.NAME}: run {r.info.run_id} has no params")
    if mode == "default":
        check(all(a.has_model(cl, r.info.run_id) for r in top), f"{a.NAME}: a run has no model")
    return {"runs": len(runs), "top_level_runs": len(top), "metric_keys": sorted(top[0].data.metrics)}


def run(side: str, model: str, mode: str, plain_n: int, auto_n: int) -> dict:
    a = api(side)
    X, y = dataset(model)
    workdir = tempfile.mkdtemp(prefix=f"bench-{side}-")
    a.configure(workdir)
    make_estimator(model).fit(X, y)  # warm-up: imports, BLAS threads, caches
    plain = timed_fits(model, X, y, plain_n)
    t0 = now()
    a.enable(**options(mode))
    enable_ms = ms_since(t0)
    first = timed_fits(model, X, y, 1)[0]
    paired_plain, auto = paired_fits(a, model, X, y, auto_n, options(mode))
    checks = verify(a, a.client(), auto_n + 1, mode)
    base = statistics.median(plain)
    plot_ms = plot_data_ms(model, X, y) if side == "autolog" else []
    return {
        "samples": {
            "plot_data_ms": plot_ms,
            "plain_ms": plain,
            "paired_plain_ms": paired_plain,
            "auto_ms": auto,
            "overhead_ms": [t - p for t, p in zip(auto, paired_plain)],
            "overhead_pct": [100.0 * (t - p) / p for t, p in zip(auto, paired_plain)],
            "first_overhead_ms": [first - base],
            "enable_ms": [enable_ms],
            "runs_per_fit": [checks["top_level_runs"] / (auto_n + 1)],
            "all_runs_per_fit": [checks["runs"] / (auto_n + 1)],
        },
        "checks": checks,
    }


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    return run("mlflow", **kw)
