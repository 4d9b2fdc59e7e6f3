#!/usr/bin/env python3
"""Time `autolog import mlflow` on a generated MLflow store.

Usage: python bench/import_mlflow.py [--runs 1000] [--metrics 20] [--steps 100] [--keep DIR]

Creates (once) bench/.venv-mlflow, writes an MLflow sqlite store of runs x metrics x steps
values with MLflow's own client (not timed; cached in --keep DIR when given), then times the
import into a fresh autolog sqlite store, reading through the MLflow venv (--mlflow-python).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _envs

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--keep", help="folder to keep (and reuse) the generated MLflow store in")
    args = parser.parse_args()
    mlflow_python = _envs.ensure_mlflow_venv(_envs.DEFAULT_MLFLOW)
    with tempfile.TemporaryDirectory(prefix="autolog-import-bench-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"mlflow-{args.runs}x{args.metrics}x{args.steps}.db"
        source = f"sqlite:///{folder / name}"
        if not (folder / name).exists():
            started = time.perf_counter()
            subprocess.run(
                [
                    str(mlflow_python),
                    str(BENCH / "_mlflow_generate.py"),
                    source,
                    str(args.runs),
                    str(args.metrics),
                    str(args.steps),
                ],
                check=True,
            )
            print(f"generated {source} in {time.perf_counter() - started:.1f}s", flush=True)
        target = Path(tmp) / "autolog.db"
        cpu_before = _children_cpu()
        started = time.perf_counter()
        result = subprocess.run(
            [
                str(_envs.AUTOLOG_PY),
                "-m",
                "autolog.cli",
                "--store",
                f"sqlite:///{target}",
                "import",
                "mlflow",
                source,
                "--mlflow-python",
                str(mlflow_python),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
    imported = json.loads(result.stdout)["imported"]
    print(
        json.dumps(
            {
                "runs": args.runs,
                "metrics": args.metrics,
                "steps": args.steps,
                "import_seconds": round(seconds, 1),
                "import_cpu_seconds": round(cpu, 1),
                "load_average": os.getloadavg()[0],
                "imported": imported,
            },
            indent=2,
        )
    )


def _children_cpu() -> float:
    """CPU seconds of finished children (the import and the MLflow reader it waits for): on a
    shared machine the wall time says more about the neighbours than about the import."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
