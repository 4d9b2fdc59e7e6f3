#!/usr/bin/env python3
"""Model serving, autolog vs MLflow side by side: `python bench/serving.py [--quick]`.

Each side logs the same LogisticRegression on iris in its own store, then serves it on 127.0.0.1
(`autolog models serve` from .venv; `mlflow models serve --env-manager local` from
bench/.venv-mlflow). Measured from one client process in .venv, sides alternating:
- start: seconds from launching the command to the first 200 from /invocations;
- latency: p50 / p99 of a one-row dataframe_split request, one keep-alive http.client connection
  (the body encoded once), 1 worker;
- server CPU per request: CPU seconds (user + system) of the server's processes over the latency
  requests / their number; less sensitive to a busy machine than wall-clock latency;
- throughput: requests/s with 8 concurrent clients and 2 workers.
Writes bench/results/serving.{md,json} (with --sides autolog alone: serving-autolog.json only).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _envs
import _machine

ROW = {
    "dataframe_split": {
        "columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
        "data": [[5.1, 3.5, 1.4, 0.2]],
    }
}

LOG_MODEL = {
    "autolog": """
import autolog, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
autolog.set_tracking_uri(sys.argv[1])
with autolog.start_run() as run:
    autolog.log_model(LogisticRegression(max_iter=200).fit(X, y), "model", input_example=X)
print(f"runs:/{run.info.run_id}/model")
""",
    "mlflow": """
import mlflow, mlflow.sklearn, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1] + "/mlflow.db")
with mlflow.start_run() as run:
    mlflow.sklearn.log_model(LogisticRegression(max_iter=200).fit(X, y), name="model", input_example=X.head(2))
print(f"runs:/{run.info.run_id}/model")
""",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Side:
    def __init__(self, name: str, python: Path, scratch: Path):
        self.name, self.python = name, python
        self.store = scratch / name
        self.store.mkdir()
        env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
        out = subprocess.run(
            [str(python), "-c", LOG_MODEL[name], str(self.store)],
            env=env,
            cwd=self.store,
            capture_output=True,
            text=True,
            check=True,
        )
        self.uri = out.stdout.strip().splitlines()[-1]

    def command(self, port: int, workers: int) -> tuple[list, dict]:
        env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
        if self.name == "autolog":
            env["AUTOLOG_TRACKING_URI"] = str(self.store)
            return [
                str(self.python),
                "-m",
                "autolog.cli",
                "models",
                "serve",
                self.uri,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ], env
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{self.store}/mlflow.db"
        env["PATH"] = f"{self.python.parent}{os.pathsep}{env['PATH']}"  # MLflow execs `uvicorn` by name
        mlflow = self.python.parent / "mlflow"
        return [
            str(mlflow),
            "models",
            "serve",
            "-m",
            self.uri,
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "--env-manager",
            "local",
            "-w",
            str(workers),
        ], env


def start(side: Side, workers: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    cmd, env = side.command(port, workers)
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd,
        env=env,
        cwd=side.store,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/invocations"
    while time.perf_counter() - started < 180:
        if process.poll() is not None:
            raise RuntimeError(f"{side.name} server exited with {process.returncode}")
        try:
            if httpx.post(url, json=ROW, timeout=5).status_code == 200:
                return process, url, time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{side.name} server did not answer in 180 s")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def group_cpu_s(group: int) -> float:
    """User + system CPU seconds of the live processes in process group ``group`` (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:  # fields[0] is the state; pgrp is the 5th field of stat
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def latencies_ms(url: str, n: int, group: int) -> tuple[list, float]:
    """Wall-clock ms of ``n`` one-row requests on one keep-alive connection; server CPU ms each."""
    port = int(url.split(":")[2].split("/")[0])
    body = json.dumps(ROW).encode()
    headers = {"Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port)

    def post() -> bytes:
        connection.request("POST", "/invocations", body, headers)
        response = connection.getresponse()
        answer = response.read()
        assert response.status == 200, answer
        return answer

    try:
        for _ in range(50):
            post()
        out = []
        cpu_before = group_cpu_s(group)
        for _ in range(n):
            t0 = time.perf_counter()
            post()
            out.append((time.perf_counter() - t0) * 1000)
        cpu_ms = (group_cpu_s(group) - cpu_before) * 1000 / n
    finally:
        connection.close()
    return out, cpu_ms


def throughput(url: str, clients: int, per_client: int) -> float:
    done = []

    def client() -> None:
        with httpx.Client() as http:
            for _ in range(per_client):
                assert http.post(url, json=ROW).status_code == 200
            done.append(per_client)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - t0)


def measure(side: Side, quick: bool) -> dict:
    process, url, start_s = start(side, workers=1)
    try:
        lat, cpu_ms = latencies_ms(url, 500 if quick else 2000, process.pid)
    finally:
        stop(process)
    process, url, _ = start(side, workers=2)
    try:
        rps = throughput(url, 8, 25 if quick else 100)
    finally:
        stop(process)
    lat.sort()
    return {
        "start_s": start_s,
        "p50_ms": statistics.median(lat),
        "p99_ms": lat[int(len(lat) * 0.99) - 1],
        "server_cpu_ms_per_request": cpu_ms,
        "rps_8_clients_2_workers": rps,
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true")
    args.add_argument("--rounds", type=int, default=0)
    args.add_argument(
        "--sides",
        default="autolog,mlflow",
        help="comma-separated: autolog, mlflow (one side alone writes serving-<side>.json only)",
    )
    options = args.parse_args()
    rounds = options.rounds or (1 if options.quick else 3)
    sides_wanted = options.sides.split(",")
    pythons = {}
    if "autolog" in sides_wanted:
        pythons["autolog"] = _envs.AUTOLOG_PY
    if "mlflow" in sides_wanted:
        pythons["mlflow"] = _envs.ensure_mlflow_venv(_envs.DEFAULT_MLFLOW)
    results = {name: [] for name in pythons}
    with tempfile.TemporaryDirectory(prefix="autolog-bench-serving-") as scratch:
        sides = {name: Side(name, python, Path(scratch)) for name, python in pythons.items()}
        for _ in range(rounds):
            for name, side in sides.items():  # alternate: autolog, mlflow, autolog, ...
                results[name].append(measure(side, options.quick))
                print(f"[bench] serving {name}: {results[name][-1]}", flush=True)
    if len(results) == 2:
        write(results, _machine.load())
        return
    (side,) = results
    summary = {key: statistics.median(r[key] for r in results[side]) for key in results[side][0]}
    document = {"results": results, "median": summary, "load": _machine.load()}
    (_envs.BENCH / "results" / f"serving-{side}.json").write_text(json.dumps(document, indent=2))
    print(json.dumps(document["median"] | {"load": document["load"]}, indent=2))


def write(results: dict, load: dict) -> None:
    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results[side])

    rows = [
        ("time to first answer", "start_s", "s", "<="),
        ("one-row latency p50", "p50_ms", "ms", "<="),
        ("one-row latency p99", "p99_ms", "ms", "<="),
        ("server CPU per one-row request", "server_cpu_ms_per_request", "ms", "<="),
        ("throughput, 8 clients, 2 workers", "rps_8_clients_2_workers", "req/s", ">="),
    ]
    lines = [
        "# Model serving: autolog vs MLflow 3.17.2 (medians of rounds, sides alternating)",
        "",
        f"Machine load during the run: {json.dumps(load)}",
        "",
        "| workload | autolog | MLflow | MLflow / autolog |",
        "| --- | --- | --- | --- |",
    ]
    for label, key, unit, better in rows:
        a, m = median("autolog", key), median("mlflow", key)
        ratio = m / a if better == "<=" else a / m
        lines.append(
            f"| {label} | {a:,.2f} {unit} | {m:,.2f} {unit} | {ratio:.1f}x in autolog's favour |"
            if ratio >= 1
            else f"| {label} | {a:,.2f} {unit} | {m:,.2f} {unit} | {1 / ratio:.1f}x in MLflow's favour |"
        )
    lines.append("")
    lines.append("Target (BRIEF / issue #19): one-row p50 <= 2 ms on loopback.")
    out = _envs.BENCH / "results"
    (out / "serving.json").write_text(json.dumps({"results": results, "load": load}, indent=2))
    (out / "serving.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
