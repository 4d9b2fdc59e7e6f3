"""Workload 4: create-run cost, 2,000 log_metric calls in one run, one log_metrics of 1,000 keys,
one log_batch of 2,000 values. Per-call costs, one process per repeat; MLflow on its default
SQLite store and on its file store."""

from __future__ import annotations

import tempfile
import time

from workloads._common import api, check, ms_since, now


def time_create_runs(a, cl, n: int) -> list[float]:
    exp = a.default_experiment(cl)
    out = []
    for _ in range(n):
        t0 = now()
        run_id = a.create_run(cl, exp)
        out.append(ms_since(t0))
        a.set_terminated(cl, run_id)
    return out


def time_log_metric(a, cl, n: int) -> tuple[list[float], str]:
    fl = a.fluent()
    with a.start_run() as active:
        for i in range(20):  # warm-up: connection, statement caches
            fl.log_metric("warm", float(i), step=i)
        out = []
        for i in range(n):
            t0 = now()
            fl.log_metric("loss", 1.0 / (i + 1), step=i)
            out.append(ms_since(t0) * 1e3)  # microseconds
        run_id = active.info.run_id
    hist = a.metric_history(cl, run_id, "loss")
    check(len(hist) == n, f"{a.NAME}: {len(hist)} of {n} log_metric values stored")
    return out, run_id


def time_log_metrics(a, cl, n_keys: int) -> float:
    fl = a.fluent()
    values = {f"m{i:04d}": i * 0.5 for i in range(n_keys)}
    with a.start_run() as active:
        t0 = now()
        fl.log_metrics(values, step=0)
        took = ms_since(t0)
        run_id = active.info.run_id
    stored = cl.get_run(run_id).data.metrics
    check(
        len(stored) == n_keys and stored["m0007"] == 3.5,
        f"{a.NAME}: log_metrics stored {len(stored)} of {n_keys} keys",
    )
    return took


def time_log_batch(a, cl, n_values: int) -> float:
    exp = a.default_experiment(cl)
    run_id = a.create_run(cl, exp)
    ts = int(time.time() * 1000)
    metrics, _ = a.entities([(f"k{i % 20:02d}", float(i), ts, i // 20) for i in range(n_values)])
    t0 = now()
    a.log_batch(cl, run_id, metrics)
    took = ms_since(t0)
    a.set_terminated(cl, run_id)
    total = sum(len(a.metric_history(cl, run_id, f"k{j:02d}")) for j in range(20))
    check(total == n_values, f"{a.NAME}: log_batch stored {total} of {n_values} values")
    return took


def measure(a, store: str, create_n: int, metric_n: int) -> dict:
    a.configure(tempfile.mkdtemp(prefix=f"bench-{a.NAME}-{store}-"), store)
    cl = a.client()
    a.create_run(cl, a.default_experiment(cl))  # first write creates the store
    return {
        "create_run_ms": time_create_runs(a, cl, create_n),
        "log_metric_us": time_log_metric(a, cl, metric_n)[0],
        "log_metrics_1000_ms": [time_log_metrics(a, cl, 1000)],
        "log_batch_2000_ms": [time_log_batch(a, cl, 2000)],
    }


def autolog_side(create_n: int, metric_n: int) -> dict:
    return {"samples": measure(api("autolog"), "default", create_n, metric_n), "checks": {}}


def mlflow_side(create_n: int, metric_n: int) -> dict:
    a = api("mlflow")
    samples = measure(a, "sqlite", create_n, metric_n)
    file_samples = measure(a, "file", create_n, metric_n)
    samples.update({f"file.{k}": v for k, v in file_samples.items()})
    return {"samples": samples, "checks": {}}
