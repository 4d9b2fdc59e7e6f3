"""The first autologged fit of a process, by phase (``bench/breakdown.py --first``).

Each repeat runs two fresh processes. The *total* one measures the overhead exactly as the
``fit`` workload's "first fit in process" row does (plain fits, ``autolog()``, one autologged fit)
and lists the modules that fit imported. The *phased* one does the first fit's one-time work
itself, step by step, before ``autolog()``: import the store's modules, open and create the
store (stdlib ``sqlite3``: the first fit into a SQLite store never imports SQLAlchemy), collect
the run context (git, user, source), import the other modules the first fit needs; then
``autolog()`` and the fit, whose overhead is what remains (the model's first save, the first
requirements and fingerprint, ...). Each phase reports CPU time (``time.process_time``, all
threads) and wall time. The report ends with the SQLAlchemy modules the first fit imported
(none expected).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from workloads._common import iris

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STORE_PREFIXES = ("sqlalchemy", "autolog.store")


def _base_fit(X, y, n: int = 7) -> dict:
    """Median CPU and wall time of a plain fit (after a warm-up)."""
    from sklearn.linear_model import LogisticRegression

    LogisticRegression(max_iter=200).fit(X, y)  # imports, BLAS threads, caches
    samples = [_timed(lambda: LogisticRegression(max_iter=200).fit(X, y)) for _ in range(n)]
    return {key: statistics.median(s[key] for s in samples) for key in ("cpu_ms", "wall_ms")}


def _timed(step) -> dict:
    c0, w0 = time.process_time(), time.perf_counter()
    step()
    return {"cpu_ms": (time.process_time() - c0) * 1e3, "wall_ms": (time.perf_counter() - w0) * 1e3}


def _first_fit(X, y, base: dict) -> dict:
    from sklearn.linear_model import LogisticRegression

    import autolog

    autolog.autolog()
    before = set(sys.modules)
    with _collections() as collected:
        phase = _timed(lambda: LogisticRegression(max_iter=200).fit(X, y))
    phase = {key: value - base[key] for key, value in phase.items()}
    return {"phase": phase, "imported": sorted(set(sys.modules) - before), "gc_ms": sum(collected)}


@contextlib.contextmanager
def _collections():
    """Wall ms of each full (generation 2) garbage collection meanwhile.

    The first fit's allocations often tip the interpreter into one: 75-95 ms after importing
    scikit-learn, in about half of fresh processes (it used to land in SQLAlchemy's import).
    """
    durations: list[float] = []
    started: list[float] = []

    def callback(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            durations.append((time.perf_counter() - started.pop()) * 1e3)

    gc.callbacks.append(callback)
    try:
        yield durations
    finally:
        gc.callbacks.remove(callback)


def child_total(workdir: str) -> dict:
    import autolog

    X, y = iris()
    base = _base_fit(X, y)
    autolog.set_tracking_uri(os.path.join(workdir, "autolog-runs"))
    first = _first_fit(X, y, base)
    return {"first_overhead": first["phase"], "imported": first["imported"], "gc_ms": first["gc_ms"]}


def child_phased(workdir: str, imported: list[str]) -> dict:
    import autolog

    X, y = iris()
    base = _base_fit(X, y)
    autolog.set_tracking_uri(os.path.join(workdir, "autolog-runs"))
    phases = {}
    phases["import the store's modules"] = _timed(lambda: importlib.import_module("autolog.store._sql_store"))
    phases["open and create the store (SQLite, sqlite3)"] = _timed(_open_store)
    phases["run context (git, user, source)"] = _timed(_collect_context)
    others = [name for name in imported if not name.startswith(_STORE_PREFIXES)]
    phases[f"import the fit path's other modules ({len(others)})"] = _timed(lambda: _import_all(others))
    phases["rest of the first fit (model save, first-time work)"] = _first_fit(X, y, base)["phase"]
    return {"phases": phases}


def _open_store() -> None:
    from autolog.tracking import get_store

    get_store()._hot_writer()  # type: ignore[attr-defined]  # the first write's schema creation


def _collect_context() -> None:
    from autolog.context import collect_run_context

    collect_run_context()


def _import_all(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # a module that only exists while it is being imported lazily
            pass


def _run_child(args: list[str], env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, os.path.join(_HERE, "breakdown.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=_HERE,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(n: int) -> None:
    from _envs import compile_autolog_bytecode

    compile_autolog_bytecode()  # as bench/run.py does
    env = dict(os.environ)
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(key, "1")
    totals, phased, imported, collected = [], [], set(), []
    for _ in range(n):
        total = _run_child(["--first-child", "total", "--workdir", tempfile.mkdtemp()], env)
        listed = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        with listed:
            json.dump(total["imported"], listed)
        totals.append(total["first_overhead"])
        collected.append(total["gc_ms"])
        imported.update(name for name in total["imported"] if name.split(".")[0] in ("sqlalchemy", "alembic"))
        args = ["--first-child", "phased", "--workdir", tempfile.mkdtemp(), "--imported", listed.name]
        phased.append(_run_child(args, env)["phases"])
        os.unlink(listed.name)
    _report(totals, phased)
    print(f"SQLAlchemy/Alembic modules the first fits imported: {len(imported)}")
    hit = [ms for ms in collected if ms > 0]
    print(
        f"full garbage collections within the whole-measured first fit: {len(hit)} of {len(collected)} "
        f"processes, {statistics.median(hit) if hit else 0:.1f} ms wall (median of those)"
    )


def _median(samples: list[dict], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def _report(totals: list[dict], phased: list[dict]) -> None:
    print(f"first autologged fit (LogisticRegression/iris), median of {len(totals)} fresh processes")
    print(f"{'cpu ms':>9} {'wall ms':>9}  phase")
    # Phases come in the same order in every sample; a name may differ (a count of modules).
    for index, name in enumerate(phased[0]):
        samples = [list(p.values())[index] for p in phased]
        print(f"{_median(samples, 'cpu_ms'):9.1f} {_median(samples, 'wall_ms'):9.1f}  {name}")
    sums = [sum(p[name]["wall_ms"] for name in p) for p in phased]
    cpu_sums = [sum(p[name]["cpu_ms"] for name in p) for p in phased]
    print(f"{statistics.median(cpu_sums):9.1f} {statistics.median(sums):9.1f}  sum of the phases")
    print(
        f"{_median(totals, 'cpu_ms'):9.1f} {_median(totals, 'wall_ms'):9.1f}  "
        "first-fit overhead measured whole (the fit workload's row; background context prefetch included)"
    )
    print(f"load average: {os.getloadavg()[0]:.2f}")
