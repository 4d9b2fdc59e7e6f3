#!/usr/bin/env python3
"""autolog server vs mlflow server, same machine, same SQLite backend data, one worker each:
`python bench/server.py [--runs 100000] [--repeats 15] [--metric-values 20000] [--fits 30]`.

Builds (once, cached under bench/.cache/) the search fixture of workloads/search.py for each
side, starts the side's server on a free loopback port, runs workloads/server.py's ``measure``
in the side's interpreter as a client process, stops the server. Writes bench/results/server.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHONS = {"autolog": ROOT / ".venv" / "bin" / "python", "mlflow": BENCH / ".venv-mlflow" / "bin" / "python"}
ROWS = [
    ("search_ms", "search_runs over N runs through the server (ms, median)", "<= 150"),
    ("log_batch_2000_ms", "log_batch of 2,000 values, round trip (ms, median)", "<= 20"),
    ("log_metric_values_per_s", "log_metric in a loop, values/s until end_run returned", ">= 50,000"),
    ("fit_overhead_ms", "autologged LogisticRegression fit, overhead (ms, median)", "<= 10"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child(side: str, *args: str, timeout: int = 3600) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(BENCH),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MLFLOW_ALLOW_FILE_STORE": "true",
    }
    env.pop("AUTOLOG_TRACKING_URI", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    with tempfile.TemporaryDirectory(prefix="bench-server-client-") as cwd:  # MLflow writes ./mlruns
        done = subprocess.run(
            [str(PYTHONS[side]), "-m", "workloads.server", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{side} {args[0]} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_server(side: str, fixture: str, scratch: str, port: int) -> subprocess.Popen:
    if side == "autolog":
        args = [
            str(PYTHONS[side]),
            "-m",
            "autolog.cli",
            "server",
            "--backend-store-uri",
            os.path.join(fixture, "autolog-runs"),
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        health = "/api/v1/health"
    else:
        args = [
            str(PYTHONS[side].parent / "mlflow"),
            "server",
            "--backend-store-uri",
            "sqlite:///" + os.path.join(fixture, "mlflow.db"),
            "--default-artifact-root",
            os.path.join(scratch, "mlflow-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        health = "/health"
    process = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=scratch,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{side} server exited: {process.stderr.read()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{side} server did not answer")


def stop(process: subprocess.Popen) -> None:
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def run_side(side: str, args) -> dict:
    fixture = str(BENCH / ".cache" / f"server-{side}-{args.runs}")
    populated = child(side, "populate", side, fixture, str(args.runs))
    scratch = tempfile.mkdtemp(prefix=f"bench-server-{side}-")
    working = os.path.join(scratch, "fixture")
    shutil.copytree(fixture, working)  # measurements write runs: never into the cached fixture
    port = free_port()
    server = start_server(side, working, scratch, port)
    os.environ["BENCH_SERVER_PID"] = str(server.pid)  # the client reads the server's CPU time
    try:
        result = child(
            side,
            "measure",
            side,
            f"http://127.0.0.1:{port}",
            str(args.runs),
            str(args.repeats),
            str(args.metric_values),
            str(args.fits),
        )
    finally:
        stop(server)
        shutil.rmtree(scratch, ignore_errors=True)
    return {**result, "fixture": populated}


def table(results: dict, args) -> str:
    lines = [
        f"| workload ({args.runs:,} runs, 1 worker, SQLite) | autolog server | mlflow server | ratio (MLflow/autolog) | target |",
        "|---|---:|---:|---:|---|",
    ]
    for key, label, target in ROWS:
        a, m = results.get("autolog", {}).get(key), results.get("mlflow", {}).get(key)
        if a is None or m is None:
            lines.append(
                f"| {label} | {a if a is not None else 'failed'} | {m if m is not None else 'failed'} | - | {target} |"
            )
            continue
        ratio = (a / m if key.endswith("per_s") else m / a) if a and m else float("nan")
        lines.append(f"| {label} | {a:,} | {m:,} | {ratio:.1f}x | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--metric-values", type=int, default=20_000)
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument(
        "--sides",
        default="autolog,mlflow",
        help="measure only these; the other side's row is kept from results/server.json",
    )
    args = parser.parse_args()
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    results = {}
    if (out / "server.json").exists():
        results = {
            k: v
            for k, v in json.loads((out / "server.json").read_text()).items()
            if k in ("autolog", "mlflow")
        }
    for side in args.sides.split(","):
        try:
            results[side] = run_side(side, args)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:  # e.g. a search that never returns
            results[side] = {"error": str(exc)[-600:]}
    load = os.getloadavg()
    (out / "server.json").write_text(
        json.dumps({"args": vars(args), "load_average": load, **results}, indent=2)
    )
    text = table(results, args) + f"\n\nload average at the end: {load[0]:.1f} (2 shared cores)\n"
    (out / "server.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
