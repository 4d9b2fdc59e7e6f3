"""Workload: the tracking server, autolog's ``autolog server`` vs MLflow's ``mlflow server``.

Runs in each side's interpreter. ``populate`` builds the SQLite backend (the search fixture of
workloads/search.py: 1,000 runs through the API, copied up to N); ``measure`` talks to the
running server at ``url`` only: search_runs, a 2,000-value log_batch round trip, log_metric in a
loop (values/s until the end of the run has flushed them) and the overhead of an autologged
LogisticRegression fit (median with autolog on minus median with it off).
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import time

from workloads import search
from workloads._common import api, classification


def populate(side: str, fixture_dir: str, n: int) -> None:
    a = api(side)
    _cl, info = search.open_fixture(a, "sqlite", n, fixture_dir)
    print(json.dumps(info))


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def _set_uri(side: str, url: str) -> None:
    if side == "autolog":
        import autolog

        autolog.set_tracking_uri(url)
    else:
        import mlflow

        mlflow.set_tracking_uri(url)


def time_search(a, cl, k: int, n: int) -> list[float]:
    experiment = [a.default_experiment(cl)]
    samples = []
    for _ in range(k):
        t0 = time.perf_counter()
        found = cl.search_runs(
            experiment, search.FILTER, max_results=search.MAX_RESULTS, order_by=search.ORDER_BY
        )
        samples.append((time.perf_counter() - t0) * 1000)
    expected = _expected(n)
    assert [round(r.data.metrics["m1"], 6) for r in found] == expected, (len(found), len(expected))
    return samples


_expected = functools.lru_cache(maxsize=None)(search.expected)  # computed before the CPU is counted


def time_log_batch(a, cl, k: int) -> list[float]:
    run_id = a.create_run(cl, a.default_experiment(cl))
    ts = int(time.time() * 1000)
    samples = []
    for repeat in range(k):
        metrics, _ = a.entities([("m", float(i), ts, repeat * 2000 + i) for i in range(2000)])
        t0 = time.perf_counter()
        a.log_batch(cl, run_id, metrics)
        samples.append((time.perf_counter() - t0) * 1000)
    a.set_terminated(cl, run_id)
    return samples


def log_metric_rate(a, n: int) -> float:
    fluent = a.fluent()
    t0 = time.perf_counter()
    with fluent.start_run():
        for step in range(n):
            fluent.log_metric("loss", 1.0 / (step + 1), step=step)
    return n / (time.perf_counter() - t0)


def fit_overhead(a, fits: int) -> dict:
    from sklearn.linear_model import LogisticRegression

    X, y = classification(500, 10)

    def times() -> list[float]:
        out = []
        for _ in range(fits):
            t0 = time.perf_counter()
            LogisticRegression(max_iter=200).fit(X, y)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    cpu: dict = {}
    a.disable()
    LogisticRegression(max_iter=200).fit(X, y)
    plain = _cpu_ms(cpu, "plain", fits, times)
    a.enable()
    LogisticRegression(max_iter=200).fit(X, y)  # warm-up: first run, imports
    _drain()
    logged = _cpu_ms(cpu, "logged", fits, lambda: (times(), _drain())[0])
    a.disable()
    return {
        "fit_plain_ms": _median_ms(plain),
        "fit_autologged_ms": _median_ms(logged),
        "fit_overhead_ms": round(_median_ms(logged) - _median_ms(plain), 3),
        # CPU per fit spent by autologging: the client's extra (all its threads, background
        # sending and uploads included) plus the server's
        "fit_overhead_client_cpu_ms": round(cpu["logged_client_cpu_ms"] - cpu["plain_client_cpu_ms"], 3),
        "fit_overhead_server_cpu_ms": cpu.get("logged_server_cpu_ms"),
    }


def _drain() -> None:
    """autolog: wait until the background sender and uploads are done (nothing for MLflow)."""
    try:
        from autolog.store._uploads import wait_for_uploads
        from autolog.tracking._uri import get_store
    except ImportError:
        return
    wait_for_uploads()
    getattr(get_store(), "flush", lambda: None)()


def _server_cpu_s() -> float | None:
    """CPU seconds of the server process (its pid in BENCH_SERVER_PID; Linux /proc), else None."""
    import os

    pid = os.environ.get("BENCH_SERVER_PID")
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_ms(result: dict, name: str, per: int, workload):
    """Run ``workload``; record the client's and the server's CPU ms per ``per`` operations:
    on a loaded machine wall time mostly measures the other jobs, CPU time does not."""
    server0, client0 = _server_cpu_s(), time.process_time()
    out = workload()
    result[f"{name}_client_cpu_ms"] = round((time.process_time() - client0) * 1000 / per, 3)
    server1 = _server_cpu_s()
    if server0 is not None and server1 is not None:
        result[f"{name}_server_cpu_ms"] = round((server1 - server0) * 1000 / per, 3)
    return out


def measure(side: str, url: str, n: int, k: int, metric_values: int, fits: int) -> None:
    a = api(side)
    _set_uri(side, url)
    cl = a.client()
    result: dict = {}
    _expected(n)
    search_ms = _cpu_ms(result, "search", k + 1, lambda: time_search(a, cl, k, n))
    batch_ms = _cpu_ms(result, "log_batch_2000", k, lambda: time_log_batch(a, cl, k))
    rate = _cpu_ms(result, "log_metric_1000", metric_values / 1000, lambda: log_metric_rate(a, metric_values))
    result.update(
        {
            "search_ms": _median_ms(search_ms),
            "log_batch_2000_ms": _median_ms(batch_ms),
            "log_metric_values_per_s": round(rate),
            "log_metric_values": metric_values,
        }
    )
    result.update(fit_overhead(a, fits))
    print(json.dumps(result))


if __name__ == "__main__":
    command, side = sys.argv[1], sys.argv[2]
    if command == "populate":
        populate(side, sys.argv[3], int(sys.argv[4]))
    else:
        measure(side, sys.argv[3], *(int(value) for value in sys.argv[4:8]))
