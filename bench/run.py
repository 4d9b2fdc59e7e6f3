#!/usr/bin/env python3
"""autolog vs MLflow, side by side: `python bench/run.py [--quick] [--workloads NAMES]`.

Creates (once) bench/.venv-mlflow with mlflow==3.17.2 and the scikit-learn of .venv, runs every
workload of BRIEF section 5 in alternation (autolog, MLflow, autolog, ...; a warm-up first), each
repeat in a fresh subprocess, and writes bench/results/{quick,full}.{json,md}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _envs
import _machine
import plan
import report
from workloads import footprint

CHILD_TIMEOUT_S = 1800


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, no 10k/100k (< 3 min)")
    p.add_argument(
        "--workloads",
        default="",
        help="comma-separated: fit,grid,metrics,search,"
        "load_model,imports,files,footprint,memory,digest,ui,frameworks "
        "(default: all)",
    )
    p.add_argument("--mlflow-version", default=_envs.DEFAULT_MLFLOW)
    p.add_argument(
        "--no-fixture-cache",
        action="store_true",
        help="rebuild the populated search stores instead of reusing bench/.cache",
    )
    p.add_argument("--results", default=str(_envs.BENCH / "results"))
    p.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OPENBLAS/OMP/MKL_NUM_THREADS for both sides (0: leave the environment "
        "alone). Default 1: on a shared 2-core machine, 2 BLAS threads turn a 12 ms fit "
        "into 50-1,400 ms of lock spinning",
    )
    return p.parse_args(argv)


def source_key() -> str:
    """Hash of autolog's schema migrations: a cached autolog fixture is data in that schema."""
    h = hashlib.sha256()
    for path in sorted((_envs.ROOT / "autolog" / "store" / "migrations").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def fixture_dirs(mlflow_version: str, fresh: bool):
    cache = _envs.BENCH / ".cache"
    key = source_key()

    def dirs(n: int) -> dict:
        out = {
            "autolog": str(cache / f"search-autolog-{n}-{key}"),
            "sqlite": str(cache / f"search-mlflow{mlflow_version}-sqlite-{n}"),
            "file": str(cache / f"search-mlflow{mlflow_version}-file-{n}") if n <= 500 else None,
        }
        if fresh:
            for d in out.values():
                if d:
                    shutil.rmtree(d, ignore_errors=True)
        return out

    return dirs


class Runner:
    """Runs one child process per (variant, side, repeat) and merges their samples."""

    def __init__(self, pythons: dict, scratch: Path, extra_env: dict):
        self.pythons, self.scratch, self.extra_env = pythons, scratch, extra_env
        self.samples, self.checks, self.errors, self.seconds = {}, {}, {}, {}

    def child(self, workload: str, side: str, params: dict) -> dict:
        cwd = Path(tempfile.mkdtemp(dir=self.scratch))
        out = cwd / "result.json"
        env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", **self.extra_env)
        env.pop("AUTOLOG_TRACKING_URI", None)
        env.pop("MLFLOW_TRACKING_URI", None)
        cmd = [
            str(self.pythons[side]),
            str(_envs.BENCH / "_child.py"),
            workload,
            side,
            json.dumps(params),
            str(out),
        ]
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip()[-3000:] or f"exit {proc.returncode}")
        return json.loads(out.read_text())

    def record(self, variant: str, side: str, result: dict) -> None:
        merged = self.samples.setdefault((variant, side), {})
        for k, vals in result["samples"].items():
            merged.setdefault(k, []).extend(vals)
        self.checks[(variant, side)] = result.get("checks", {})

    def run_variant(self, v: plan.Variant) -> None:
        t0 = time.time()
        if v.warmup is not None:
            for side in v.sides:
                self.attempt(v, side, v.params | v.warmup, keep=False)
        for r in range(v.repeats):
            params = v.per_repeat(v.params, r) if v.per_repeat else v.params
            for side in v.sides:  # A B A B ...
                self.attempt(v, side, params | v.side_params.get(side, {}), keep=True)
        self.seconds[v.name] = round(time.time() - t0, 1)
        print(f"[bench] {v.name}: {self.seconds[v.name]} s", flush=True)

    def attempt(self, v: plan.Variant, side: str, params: dict, keep: bool) -> None:
        if (v.name, side) in self.errors:
            return
        try:
            result = self.child(v.workload, side, params)
        except Exception as exc:  # fail loudly, keep the other workloads going
            self.errors[(v.name, side)] = str(exc)
            print(f"[bench] FAILED {v.name} / {side}:\n{exc}\n", file=sys.stderr, flush=True)
            return
        if keep:
            self.record(v.name, side, result)


def run_footprint(runner: Runner, pythons: dict) -> None:
    try:
        pins = [
            f"{n}=={v}"
            for n, v in (
                (n, _envs.package_version(_envs.AUTOLOG_PY, n)) for n in ("scikit-learn", "numpy", "scipy")
            )
            if v
        ]
        fp = footprint.measure(_envs.BENCH, _envs.ROOT, _envs.base_python(), pins, pythons["mlflow"])
    except Exception as exc:
        for side in plan.BOTH:
            runner.errors[("footprint", side)] = str(exc)
        return
    for side in plan.BOTH:
        runner.samples[("footprint", side)] = {"packages": [fp[side]["packages"]], "mb": [fp[side]["mb"]]}
        runner.checks[("footprint", side)] = fp[side] | {"cached": fp.get("cached")}


def selected(names: str, workload: str) -> bool:
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    return not wanted or workload in wanted or (workload == "load_model" and "load" in wanted)


def main(argv=None) -> int:
    args = parse_args(argv)
    t_start = time.time()
    load_before = _machine.load()
    _envs.ensure_autolog_installed()
    _envs.compile_autolog_bytecode()
    pythons = {"autolog": _envs.AUTOLOG_PY, "mlflow": _envs.ensure_mlflow_venv(args.mlflow_version)}
    scratch = Path(tempfile.mkdtemp(prefix="autolog-bench-"))
    threads = (
        {}
        if args.blas_threads <= 0
        else {
            k: str(args.blas_threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
        }
    )
    runner = Runner(pythons, scratch, threads)
    fixtures = fixture_dirs(args.mlflow_version, args.no_fixture_cache)
    try:
        for v in plan.variants(args.quick, fixtures):
            if selected(args.workloads, v.workload):
                runner.run_variant(v)
        if selected(args.workloads, "footprint"):
            run_footprint(runner, pythons)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ran = {v for v, _ in runner.samples} | {v for v, _ in runner.errors}
    rows = report.build_rows(
        [r for r in plan.ROWS if r.variant in ran and (r.mlflow_variant or r.variant) in ran],
        runner.samples,
        runner.errors,
    )
    meta = {
        "quick": args.quick,
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
        "machine": _machine.describe(pythons["mlflow"]),
        "seconds": runner.seconds,
        "total_seconds": round(time.time() - t_start, 1),
        "load_before": load_before,
        "load_after": _machine.load(),
        "child_env": threads,
        "notes": [
            "MLflow runs with MLFLOW_DISABLE_TELEMETRY=true (no network here)",
            "MLflow's file store rows set MLFLOW_ALLOW_FILE_STORE=true (3.x refuses it otherwise)",
            "fit overheads: each sample is one pair (plain fit with autologging "
            "disabled, then an autologged fit) in the same process",
            "search fixtures: 1,000 runs created through each library's API, larger "
            "stores repeat them by copying rows under new run ids (bench/.cache)",
        ],
    }
    if any(v.startswith("frameworks-") for v in ran):
        meta["notes"].append(
            "frameworks: autolog side only (bench/.venv-mlflow has no XGBoost, "
            "LightGBM, torch or Keras); one process per case and mode; each "
            "sample is one pair (plain call inside autolog.disabled(), autologged "
            "call; order alternating pair by pair); plain = that paired call"
        )
    print()
    report.print_table(rows)
    jpath, mpath = report.write(Path(args.results), rows, meta, runner.samples, runner.checks, runner.errors)
    print(f"\n[bench] {meta['total_seconds']} s; wrote {jpath} and {mpath}")
    if runner.errors:
        print(
            f"[bench] {len(runner.errors)} failure(s): " + ", ".join(f"{v}/{s}" for v, s in runner.errors),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
