#!/usr/bin/env python3
"""Profile one autolog operation with cProfile (run with the project's .venv python).

    .venv/bin/python bench/prof.py fit|fit-nomodels|rf|pipeline|grid|log_metric|log_batch|create_run|
                                      search|digest|import [--n N] [--top 30]

Prints the slowest functions by cumulative time (project frames first, then everything), so a
missed target can be traced to file:function.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workloads import _autolog_api as a
from workloads._common import classification, iris


def setup_fit(opts: dict, model: str = "logreg"):
    from workloads.fit import make_estimator

    X, y = classification(5000) if model == "rf" else iris()
    a.enable(**opts)
    make_estimator(model).fit(X, y)  # first fit: lazy imports, store creation
    return lambda: make_estimator(model).fit(X, y)


def setup_grid():
    from workloads.grid import make_search

    X, y = classification(2000)
    a.enable()
    make_search().fit(X, y)
    return lambda: make_search().fit(X, y)


def setup_tracking(kind: str):
    import autolog

    cl = a.client()
    run_id = a.create_run(cl, "0")
    if kind == "create_run":
        return lambda: a.create_run(cl, "0")
    if kind == "log_metric":
        autolog.start_run()
        return lambda: autolog.log_metric("loss", 0.5, step=1)
    batch, _ = a.entities(
        [(f"k{i % 20:02d}", float(i), int(time.time() * 1000), i // 20) for i in range(2000)]
    )
    return lambda: a.log_batch(cl, run_id, batch)


def setup_search(n: int, fixture: str | None):
    from workloads import search

    if fixture:  # e.g. bench/.cache/search-autolog-100000-*
        a.configure(fixture)
    cl = a.client()
    if not fixture:
        search.populate(a, cl, n)
    return lambda: a.search(cl, ["0"], search.FILTER, search.ORDER_BY, search.MAX_RESULTS)


def setup_digest():
    import numpy as np

    from autolog.context import fingerprint

    X = np.random.default_rng(0).standard_normal((2**27 // 16, 16))
    return lambda: fingerprint(X)


def import_profile() -> None:
    code = "from autolog import autolog; autolog()"
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    ).stderr
    rows = [line.split("|") for line in err.splitlines() if line.startswith("import time:")][1:]
    rows = [(int(r[1]), int(r[0].split(":")[1]), r[2].rstrip()) for r in rows]
    print("cumulative_us  self_us  module")
    for cum, self_us, name in sorted(rows, reverse=True)[:40]:
        print(f"{cum:>12}  {self_us:>7}  {name}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--fixture", help="search: a populated fixture directory from bench/.cache")
    args = p.parse_args()
    if args.target == "import":
        return import_profile()
    a.configure(tempfile.mkdtemp(prefix="bench-profile-"))
    fn = {
        "fit": lambda: setup_fit({}),
        "fit-nomodels": lambda: setup_fit({"log_models": False}),
        "rf": lambda: setup_fit({}, "rf"),
        "pipeline": lambda: setup_fit({}, "pipeline"),
        "grid": setup_grid,
        "search": lambda: setup_search(500, args.fixture),
        "digest": setup_digest,
    }.get(args.target, lambda: setup_tracking(args.target))()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(args.n):
        fn()
    prof.disable()
    print(
        f"{args.target}: {(time.perf_counter() - t0) / args.n * 1e3:.3f} ms per call "
        f"(under cProfile), {args.n} calls"
    )
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(r"autolog|integrations", args.top)
    stats.print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
