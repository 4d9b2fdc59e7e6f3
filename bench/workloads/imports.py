"""Workload 7: import and autolog() cost in a fresh process (this child is that process).

mode "hooked": import the package, then enable autologging for every framework (no framework
imported yet), then `import sklearn.linear_model` with the hooks in place.
mode "plain": `import sklearn.linear_model` alone, in the same interpreter.
mode "flavor" (MLflow only): `import mlflow.sklearn; mlflow.sklearn.autolog()`, then the import.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import time


def _timed_import(name: str) -> float:
    t0 = time.perf_counter()
    importlib.import_module(name)
    return (time.perf_counter() - t0) * 1e3


def _verify_hook(a) -> dict:
    """A fit after the import must be autologged (the hook patched the module)."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from workloads._common import check

    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=200).fit(X, y)
    runs = a.all_runs(a.client())
    check(len(runs) == 1, f"{a.NAME}: {len(runs)} runs after a fit under universal autolog")
    return {"hooked_fit_runs": len(runs)}


def hooked(side: str, verify: bool) -> dict:
    from workloads._common import api, check

    check("sklearn" not in sys.modules, "sklearn already imported before measuring")
    a = api(side)
    import_ms = _timed_import(a.main_module())
    t0 = time.perf_counter()
    a.universal_autolog()
    autolog_ms = (time.perf_counter() - t0) * 1e3
    sklearn_before = "sklearn" in sys.modules
    lm_ms = _timed_import("sklearn.linear_model")
    n_sklearn = sum(1 for m in sys.modules if m == "sklearn" or m.startswith("sklearn."))
    checks = {"sklearn_imported_by_autolog": sklearn_before, "sklearn_modules": n_sklearn}
    if verify:
        a.configure(tempfile.mkdtemp(prefix=f"bench-{side}-"))
        checks.update(_verify_hook(a))
    return {
        "samples": {
            "import_ms": [import_ms],
            "import_autolog_ms": [import_ms + autolog_ms],
            "sklearn_lm_hooked_ms": [lm_ms],
            "total_ms": [import_ms + autolog_ms + lm_ms],
        },
        "checks": checks,
    }


def mlflow_flavor() -> dict:
    """MLflow's usual spelling: `import mlflow.sklearn; mlflow.sklearn.autolog()` (imports sklearn)."""
    t0 = time.perf_counter()
    importlib.import_module("mlflow.sklearn").autolog()
    importlib.import_module("sklearn.linear_model")
    total = (time.perf_counter() - t0) * 1e3
    return {"samples": {"flavor_total_ms": [total]}, "checks": {}}


def plain() -> dict:
    lm_ms = _timed_import("sklearn.linear_model")
    n_sklearn = sum(1 for m in sys.modules if m == "sklearn" or m.startswith("sklearn."))
    return {"samples": {"sklearn_lm_plain_ms": [lm_ms]}, "checks": {"sklearn_modules": n_sklearn}}


def autolog_side(mode: str, verify: bool = False) -> dict:
    return hooked("autolog", verify) if mode == "hooked" else plain()


def mlflow_side(mode: str, verify: bool = False) -> dict:
    if mode == "flavor":
        return mlflow_flavor()
    return hooked("mlflow", verify) if mode == "hooked" else plain()
