#!/usr/bin/env python3
"""Artifacts on S3: autolog vs MLflow against the same moto endpoint.

``python bench/s3.py [--size-mib 1024] [--fits 30]`` starts moto's S3 server on 127.0.0.1, then
runs every measurement in a fresh subprocess, alternating autolog (.venv) and MLflow
(bench/.venv-mlflow, which needs boto3), and writes bench/results/s3/s3.{json,md}:

- fit overhead: median autologged LogisticRegression fit (model logged to S3) minus the median
  plain fit, in the same process. autolog uploads the model in a background thread: the fit call
  returns before it, and the bench waits for it between fits, untimed (reported separately as
  ``background_upload_ms``), so that one fit's upload does not steal the next fit's CPU. The
  same difference in CPU time of the fitting thread (``overhead_cpu_ms``, steadier than wall time
  on a loaded machine), and autolog's S3 requests per fit (counted on its S3 client);
- upload / download of one SIZE MiB file: MB/s and the peak RSS growth over the process's
  baseline (ru_maxrss after the transfer minus RSS before it);
- load_model from S3: cold (a new process, empty cache) and cached (the second load in it).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHONS = {"autolog": ROOT / ".venv" / "bin" / "python", "mlflow": BENCH / ".venv-mlflow" / "bin" / "python"}
BUCKET = "bench"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}

_PRELUDE = textwrap.dedent("""
    import json, os, resource, statistics, sys, time
    def rss_mib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    def peak_mib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    def emit(**values):
        print("RESULT " + json.dumps(values), flush=True)
    args = json.loads(sys.argv[1])
    def cpu_timed(n, between=None):
        # CPU time of the thread that fits (a background upload's is not the fit's): the
        # median of n fits, less skewed than wall time on a loaded machine
        out = []
        for _ in range(n):
            t = time.thread_time(); fit(); out.append((time.thread_time() - t) * 1000)
            if between is not None:
                between()
        return statistics.median(out)
""")

FIT = {
    "autolog": """
import autolog
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
autolog.set_tracking_uri(args["store"])
def fit():
    LogisticRegression(max_iter=200).fit(X, y)
def timed(n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fit(); out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
from autolog.store._uploads import wait_for_uploads
from autolog.store._repositories import artifact_repository
def timed_autologged(n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fit(); out.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); wait_for_uploads(); uploads.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
def count_requests(event_name, **kwargs):
    name = event_name.split(".")[-1]
    requests[name] = requests.get(name, 0) + 1
uploads, requests = [], {}
fit(); plain = timed(args["fits"]); plain_cpu = cpu_timed(args["fits"])
autolog.autolog(); fit(); fit(); wait_for_uploads()
artifact_repository(args["root"]).fs.s3.meta.events.register("before-call.s3", count_requests)
logged = timed_autologged(args["fits"])
logged_cpu = cpu_timed(args["fits"], wait_for_uploads)
emit(plain_ms=plain, autologged_ms=logged, overhead_ms=logged - plain, background_upload_ms=statistics.median(uploads),
     overhead_cpu_ms=logged_cpu - plain_cpu, s3_requests_per_fit={k: v / (2 * args["fits"]) for k, v in requests.items()})
""",
    "mlflow": """
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
mlflow.set_tracking_uri("sqlite:///" + os.path.join(args["store"], "mlflow.db"))
mlflow.set_experiment(experiment_id=mlflow.create_experiment("s3", artifact_location=args["root"]))
def fit():
    LogisticRegression(max_iter=200).fit(X, y)
def timed(n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fit(); out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
fit(); plain = timed(args["fits"])
plain_cpu = cpu_timed(args["fits"])
mlflow.sklearn.autolog(silent=True); fit(); fit()
logged = timed(args["fits"])
emit(plain_ms=plain, autologged_ms=logged, overhead_ms=logged - plain, overhead_cpu_ms=cpu_timed(args["fits"]) - plain_cpu)
""",
}

TRANSFER = {
    "autolog": """
import autolog
from autolog.tracking import Client
autolog.set_tracking_uri(args["store"])
client = Client()
if args["direction"] == "upload":
    run_id = client.create_run("0").info.run_id
    client.list_artifacts(run_id)  # S3 client imported and connected before the baseline
    base = rss_mib(); t = time.perf_counter()
    client.log_artifact(run_id, args["file"])
else:
    run_id = args["run_id"]
    client.get_run(run_id); client.list_artifacts(run_id)  # S3 client connected before the baseline
    base = rss_mib(); t = time.perf_counter()
    client.download_artifacts(run_id, os.path.basename(args["file"]), args["out"])
seconds = time.perf_counter() - t
emit(run_id=run_id, seconds=seconds, mb_s=args["size"] / 1e6 / seconds, rss_growth_mib=peak_mib() - base)
""",
    "mlflow": """
import mlflow
from mlflow.tracking import MlflowClient
mlflow.set_tracking_uri("sqlite:///" + os.path.join(args["store"], "mlflow.db"))
client = MlflowClient()
if args["direction"] == "upload":
    try:
        experiment_id = client.create_experiment("s3", artifact_location=args["root"])
    except Exception:
        experiment_id = client.get_experiment_by_name("s3").experiment_id
    run_id = client.create_run(experiment_id).info.run_id
    client.list_artifacts(run_id)  # boto3 imported and connected before the baseline
    base = rss_mib(); t = time.perf_counter()
    client.log_artifact(run_id, args["file"])
else:
    run_id = args["run_id"]
    client.get_run(run_id); client.list_artifacts(run_id)
    base = rss_mib(); t = time.perf_counter()
    mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=os.path.basename(args["file"]), dst_path=args["out"])
seconds = time.perf_counter() - t
emit(run_id=run_id, seconds=seconds, mb_s=args["size"] / 1e6 / seconds, rss_growth_mib=peak_mib() - base)
""",
}

LOAD = {
    "autolog": """
import autolog
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from autolog.models import load_model, log_model
autolog.set_tracking_uri(args["store"])
if args["phase"] == "log":
    X, y = load_iris(return_X_y=True)
    with autolog.start_run() as run:
        log_model(LogisticRegression(max_iter=200).fit(X, y))
    emit(uri=f"runs:/{run.info.run_id}/model")
else:
    import sklearn.linear_model  # the model's own imports are not load_model's cost
    t = time.perf_counter(); load_model(args["uri"]); cold = (time.perf_counter() - t) * 1000
    hits = []
    for _ in range(20):
        t = time.perf_counter(); load_model(args["uri"]); hits.append((time.perf_counter() - t) * 1000)
    emit(cold_ms=cold, cached_ms=statistics.median(hits))
""",
    "mlflow": """
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
mlflow.set_tracking_uri("sqlite:///" + os.path.join(args["store"], "mlflow.db"))
if args["phase"] == "log":
    try:
        experiment_id = mlflow.create_experiment("load", artifact_location=args["root"])
    except Exception:
        experiment_id = mlflow.get_experiment_by_name("load").experiment_id
    X, y = load_iris(return_X_y=True)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="model")
    emit(uri=f"runs:/{run.info.run_id}/model")
else:
    import sklearn.linear_model
    t = time.perf_counter(); mlflow.sklearn.load_model(args["uri"]); cold = (time.perf_counter() - t) * 1000
    hits = []
    for _ in range(20):
        t = time.perf_counter(); mlflow.sklearn.load_model(args["uri"]); hits.append((time.perf_counter() - t) * 1000)
    emit(cold_ms=cold, cached_ms=statistics.median(hits))
""",
}


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(PYTHONS["autolog"]), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
    urllib.request.urlopen(request).close()
    return process, endpoint


def child(side: str, code: str, args: dict, env: dict) -> dict:
    done = subprocess.run(
        [str(PYTHONS[side]), "-c", _PRELUDE + code, json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=str(ROOT),
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{side} child failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--results", default=str(BENCH / "results" / "s3"))
    parser.add_argument("--sides", default="autolog,mlflow", help="comma-separated: autolog,mlflow")
    options = parser.parse_args(argv)
    moto, endpoint = start_moto()
    work = Path(tempfile.mkdtemp(prefix="autolog-s3-bench-"))
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "MLFLOW_S3_ENDPOINT_URL": endpoint,
        "AUTOLOG_ARTIFACT_CACHE_DIR": str(work / "cache"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONWARNINGS": "ignore",
    }
    results: dict = {
        "size_mib": options.size_mib,
        "fits": options.fits,
        "endpoint": "moto server, 127.0.0.1",
        "load_average": os.getloadavg(),
        "rows": {},
    }
    try:
        big = work / "big.bin"
        with open(big, "wb") as handle:
            for _ in range(options.size_mib):
                handle.write(os.urandom(1024 * 1024))
        for repeat in range(options.repeats):
            for side in options.sides.split(","):
                rows = results["rows"].setdefault(side, {})
                root = f"s3://{BUCKET}/{side}-{uuid.uuid4().hex[:8]}"
                store = work / f"{side}-{repeat}"
                store.mkdir()
                side_env = {**env, "AUTOLOG_ARTIFACT_ROOT": root}
                common = {"store": str(store), "root": root}
                rows.setdefault("fit", []).append(
                    child(side, FIT[side], {**common, "fits": options.fits}, side_env)
                )
                logged = child(side, LOAD[side], {**common, "phase": "log"}, side_env)
                rows.setdefault("load_model", []).append(
                    child(
                        side,
                        LOAD[side],
                        {**common, "phase": "load", "uri": logged["uri"]},
                        {**side_env, "AUTOLOG_ARTIFACT_CACHE_DIR": str(work / f"cache-{side}-{repeat}")},
                    )
                )
                transfer = {**common, "file": str(big), "size": big.stat().st_size}
                up = child(side, TRANSFER[side], {**transfer, "direction": "upload"}, side_env)
                out = work / f"out-{side}-{repeat}"
                down = child(
                    side,
                    TRANSFER[side],
                    {**transfer, "direction": "download", "run_id": up["run_id"], "out": str(out)},
                    {**side_env, "AUTOLOG_ARTIFACT_CACHE_SIZE": "0"},
                )
                rows.setdefault("upload", []).append(up)
                rows.setdefault("download", []).append(down)
                subprocess.run(["rm", "-rf", str(out)])
                print(side, repeat, json.dumps({k: v[-1] for k, v in rows.items()}), flush=True)
    finally:
        moto.terminate()
        subprocess.run(["rm", "-rf", str(work)])
    results["load_average_end"] = os.getloadavg()
    _carry_over_sides_not_run(results, Path(options.results) / "s3.json")
    write(results, Path(options.results))
    return 0


def _carry_over_sides_not_run(results: dict, previous_file: Path) -> None:
    """Keep the rows of a side this run left out (``--sides``) from the previous results, marked
    with the load they were measured at."""
    if not previous_file.exists():
        return
    previous = json.loads(previous_file.read_text())
    for side, rows in previous.get("rows", {}).items():
        if side not in results["rows"] and previous.get("size_mib") == results["size_mib"]:
            results["rows"][side] = rows
            results.setdefault("carried_over", {})[side] = previous.get("carried_over", {}).get(
                side, previous["load_average"]
            )


def write(results: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "s3.json").write_text(json.dumps(results, indent=2))
    best = {
        side: {row: _best(values) for row, values in rows.items()} for side, rows in results["rows"].items()
    }
    lines = [
        f"# Artifacts on S3 (moto server on 127.0.0.1), {results['size_mib']} MiB transfers",
        "",
        f"Load average at start: {', '.join(f'{x:.1f}' for x in results['load_average'])}. "
        "Best of the repeats (the minimum time; for RSS, the run of that minimum).",
        "",
        "| measurement | autolog | MLflow 3.17.2 |",
        "|---|---|---|",
    ]
    measures = [
        ("fit", "overhead_ms", "autologged fit overhead (ms)"),
        ("fit", "overhead_cpu_ms", "autologged fit overhead, CPU of the fitting thread (ms)"),
        ("fit", "plain_ms", "plain fit (ms)"),
        ("upload", "mb_s", "upload throughput (MB/s)"),
        ("upload", "rss_growth_mib", "upload peak RSS growth (MiB)"),
        ("download", "mb_s", "download throughput (MB/s)"),
        ("download", "rss_growth_mib", "download peak RSS growth (MiB)"),
        ("load_model", "cold_ms", "load_model cold, new process (ms)"),
        ("load_model", "cached_ms", "load_model cached, median of 20 (ms)"),
    ]
    for row, key, label in measures:
        cells = [_cell(best.get(side, {}).get(row, {}).get(key)) for side in ("autolog", "mlflow")]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    requests = best.get("autolog", {}).get("fit", {}).get("s3_requests_per_fit")
    if requests:
        counted = ", ".join(f"{count:g} {name}" for name, count in sorted(requests.items()))
        lines += ["", f"S3 requests per autologged fit (autolog, all in the background upload): {counted}."]
    lines += ["", f"Load average at the end: {', '.join(f'{x:.1f}' for x in results['load_average_end'])}."]
    for side, load in results.get("carried_over", {}).items():
        lines.append(
            f"The {side} column is from an earlier run (not rerun), at load average "
            f"{', '.join(f'{x:.1f}' for x in load)}."
        )
    (directory / "s3.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _best(values: list[dict]) -> dict:
    key = next(k for k in ("overhead_ms", "seconds", "cold_ms") if k in values[0])
    return min(values, key=lambda value: value[key])


if __name__ == "__main__":
    sys.exit(main())
