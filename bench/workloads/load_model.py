"""Workload 6: load_model("runs:/ID/model") of an autologged LogisticRegression run, and its
predictions equal to the fitted model's. First load and repeated loads in one process."""

from __future__ import annotations

import tempfile

from workloads._common import api, check, iris, ms_since, now


def autologged_fit(a):
    from sklearn.linear_model import LogisticRegression

    X, y = iris()
    a.enable()
    model = LogisticRegression(max_iter=200).fit(X, y)
    runs = a.all_runs(a.client())
    check(len(runs) == 1, f"{a.NAME}: {len(runs)} runs after one fit")
    return model, runs[0].info.run_id, X


def run(side: str, k: int) -> dict:
    import numpy as np

    a = api(side)
    a.configure(tempfile.mkdtemp(prefix=f"bench-{side}-"))
    model, run_id, X = autologged_fit(a)
    t0 = now()
    loaded = a.load_model(run_id)
    first = ms_since(t0)
    out = []
    for _ in range(k):
        t0 = now()
        loaded = a.load_model(run_id)
        out.append(ms_since(t0))
        check(loaded is not model, f"{a.NAME}: load_model returned the live object")
    check(type(loaded) is type(model), f"{a.NAME}: loaded a {type(loaded).__name__}")
    check(np.array_equal(loaded.predict(X), model.predict(X)), f"{a.NAME}: predictions differ")
    check(
        np.allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=0, atol=0),
        f"{a.NAME}: probabilities differ",
    )
    return {"samples": {"load_ms": out, "first_load_ms": [first]}, "checks": {"predictions_equal": True}}


def autolog_side(**kw) -> dict:
    return run("autolog", **kw)


def mlflow_side(**kw) -> dict:
    return run("mlflow", **kw)
