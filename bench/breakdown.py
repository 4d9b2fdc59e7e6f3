#!/usr/bin/env python3
"""Wall-clock breakdown of one autologged fit, without a profiler's distortion.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/breakdown.py [logreg|rf|pipeline|grid]
                                                               [--no-models] [--n 30]
    .venv/bin/python bench/breakdown.py --first [--n 3]   # the first fit of a process, by phase

Wraps the engine's, recorder's, models' and store's entry points with timers (nested times are
included in their callers), runs N autologged fits after a warm-up, and prints ms per fit.
``--first`` breaks down the first autologged fit of fresh processes instead (see
``workloads/first_fit.py``).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TARGETS = [
    "autolog.engine._training:_start",
    "autolog.engine._training:_finish",
    "autolog.integrations.sklearn._run_recorder:SklearnFitRecorder.run_spec",
    "autolog.integrations.sklearn._run_recorder:SklearnFitRecorder.log_results",
    "autolog.integrations.sklearn._run_recorder:SklearnFitRecorder.after_run",
    "autolog.integrations.sklearn._run_recorder:SklearnFitRecorder._log_training_metrics",
    "autolog.integrations.sklearn._run_recorder:SklearnFitRecorder._log_search",
    "autolog.engine._recorder:FitRecorder.log_model",
    "autolog.engine._recorder:_dataset_tags",
    "autolog.engine._recorder:log_git_diff",
    "autolog.engine._recorder:_run_context_tags",
    "autolog.integrations.sklearn._metrics:training_metrics",
    "autolog.models._api:log_model",
    "autolog.models._api:_requirements",
    "autolog.models._api:_write_model_directory",
    "autolog.models._api:_save_into_place",
    "autolog.store._sql_store:SqlStore.create_run",
    "autolog.store._sql_store:SqlStore.update_run",
    "autolog.store._sql_store:SqlStore.log_batch",
    "autolog.store._sql_store:SqlStore.get_run",
    "autolog.store._sql_store:SqlStore.artifacts",
    "autolog.store._artifacts:ArtifactRepository.write_bytes",
    "autolog.store._artifacts:ArtifactRepository.log_artifacts",
]
TOTALS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def wrap(spec: str) -> bool:
    mod_name, qual = spec.split(":")
    try:
        owner = importlib.import_module(mod_name)
        parts = qual.split(".")
        for p in parts[:-1]:
            owner = getattr(owner, p)
        fn = getattr(owner, parts[-1])
    except (ImportError, AttributeError):
        return False

    @functools.wraps(fn)
    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            TOTALS[spec] += time.perf_counter() - t0
            CALLS[spec] += 1

    setattr(owner, parts[-1], timed)
    return True


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model", nargs="?", default="logreg")
    p.add_argument("--no-models", action="store_true")
    p.add_argument("--n", type=int, default=None, help="fits (default 30), or processes with --first (3)")
    p.add_argument("--first", action="store_true", help="the first fit of a process, by phase")
    p.add_argument("--first-child", choices=("total", "phased"), help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    p.add_argument("--imported", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.first or args.first_child:
        first_fit(args)
        return
    args.n = args.n or 30
    from workloads import _autolog_api as a
    from workloads.fit import dataset, make_estimator
    from workloads.grid import make_search

    a.configure(tempfile.mkdtemp(prefix="bench-breakdown-"))
    make = make_search if args.model == "grid" else (lambda: make_estimator(args.model))
    X, y = dataset("logreg" if args.model == "grid" else args.model)
    if args.model == "grid":
        from workloads._common import classification

        X, y = classification(2000)
    opts = {"log_models": False} if args.no_models else {}
    a.enable(**opts)
    make().fit(X, y)  # lazy imports, store creation
    missing = [s for s in TARGETS if not wrap(s)]
    pairs = []
    for _ in range(args.n):
        a.disable()
        t0 = time.perf_counter()
        make().fit(X, y)
        plain = time.perf_counter() - t0
        a.enable(**opts)
        t0 = time.perf_counter()
        make().fit(X, y)
        auto = time.perf_counter() - t0
        pairs.append((plain, auto))
    over = statistics.median(au - pl for pl, au in pairs) * 1e3
    print(
        f"{args.model}{' log_models=False' if args.no_models else ''}: plain "
        f"{statistics.median(p for p, _ in pairs) * 1e3:.2f} ms, overhead {over:.2f} ms "
        f"(median of {args.n} pairs); per fit, mean over fits:"
    )
    for spec in TARGETS:
        if CALLS[spec]:
            print(f"  {TOTALS[spec] / args.n * 1e3:8.2f} ms  {CALLS[spec] / args.n:5.1f} calls  {spec}")
    if missing:
        print("  (not found: " + ", ".join(missing) + ")")


def first_fit(args) -> None:
    import json

    from workloads import first_fit as ff

    if args.first_child == "total":
        print(json.dumps(ff.child_total(args.workdir)))
    elif args.first_child == "phased":
        with open(args.imported) as listed:
            print(json.dumps(ff.child_phased(args.workdir, json.load(listed))))
    else:
        ff.main(args.n or 3)


if __name__ == "__main__":
    main()
