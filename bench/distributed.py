#!/usr/bin/env python3
"""Tuning and system-metrics overhead: Optuna, Ray Tune, the system-metrics sampler.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/distributed.py [optuna] [mlflow] [ray] [sampler]
                                                               [--trials 100] [--repeats 5]

- ``optuna``: a 100-trial study of a tiny objective (in-memory Optuna storage), plain vs
  autologged (parent run + 100 trial runs in a fresh SQLite store), alternating, each repeat in
  this process; per-trial overhead = (autologged - plain) / trials, wall and CPU.
- ``mlflow``: the same study with ``optuna_integration.MLflowCallback`` (the callback an MLflow
  user adds by hand), run by bench/.venv-mlflow's Python with optuna + optuna-integration from an
  overlay directory (``--mlflow-overlay``), against a fresh MLflow SQLite store.
- ``ray``: ``Tuner.fit()`` of a tiny function trainable (``--ray-trials`` trials, 3 reports each)
  on ``ray.init(num_cpus=2)``, plain vs autologged, alternating; per-trial overhead.
- ``sampler``: CPU time of one system-metrics sample (psutil reads + one store batch), and the
  share of one core it costs at the default 10 s interval.

Prints a Markdown table; numbers go to bench/results/distributed.md by hand with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _tiny_objective(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    return (x - 2.0) ** 2


def _timed(function) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_optuna(trials: int, repeats: int) -> list[tuple[str, float, float]]:
    import optuna

    import autolog

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    plain, logged = [], []

    def study() -> None:
        optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).optimize(
            _tiny_objective, n_trials=trials
        )

    study()  # warm-up: imports, first study
    for _ in range(repeats):
        autolog.autolog(disable=True)
        plain.append(_timed(study))
        _fresh_store(autolog, "bench-optuna-")
        autolog.autolog()
        logged.append(_timed(study))
    autolog.autolog(disable=True)
    return _per_trial_rows("optuna", plain, logged, trials)


def _fresh_store(autolog, prefix: str) -> None:
    """A new store, created (schema migrations) before the timing starts: by a write, as a read
    of a store that does not exist yet creates nothing."""
    autolog.set_tracking_uri(tempfile.mkdtemp(prefix=prefix))
    autolog.Client().set_experiment_tag("0", "bench", "fresh store")


def _per_trial_rows(name: str, plain: list, logged: list, trials: int) -> list[tuple[str, float, float]]:
    wall_plain = statistics.median(w for w, _ in plain)
    wall_logged = statistics.median(w for w, _ in logged)
    cpu_plain = statistics.median(c for _, c in plain)
    cpu_logged = statistics.median(c for _, c in logged)
    return [
        (f"{name}: {trials} trials, plain (s)", wall_plain, cpu_plain),
        (f"{name}: {trials} trials, autologged (s)", wall_logged, cpu_logged),
        (
            f"{name}: overhead per trial (ms)",
            1000 * (wall_logged - wall_plain) / trials,
            1000 * (cpu_logged - cpu_plain) / trials,
        ),
    ]


MLFLOW_SCRIPT = """
import statistics, sys, tempfile, time, optuna, mlflow
from optuna_integration import MLflowCallback
optuna.logging.set_verbosity(optuna.logging.WARNING)
trials, repeats = int(sys.argv[1]), int(sys.argv[2])
def objective(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    return (x - 2.0) ** 2
def study(callbacks):
    optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).optimize(objective, n_trials=trials, callbacks=callbacks)
def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu
study([])
plain, logged = [], []
for _ in range(repeats):
    plain.append(timed(lambda: study([])))
    uri = "sqlite:///" + tempfile.mkdtemp(prefix="bench-mlflow-") + "/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.search_experiments()  # the store's schema is created before the timing starts
    callback = MLflowCallback(tracking_uri=uri, metric_name="value")
    logged.append(timed(lambda: study([callback])))
for name, rows in (("plain", plain), ("logged", logged)):
    print(name, statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows))
"""


def bench_mlflow(trials: int, repeats: int, overlay: str) -> list[tuple[str, float, float]]:
    python = BENCH / ".venv-mlflow" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": overlay, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    done = subprocess.run(
        [str(python), "-c", MLFLOW_SCRIPT, str(trials), str(repeats)],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    values = {
        line.split()[0]: (float(line.split()[1]), float(line.split()[2]))
        for line in done.stdout.splitlines()
        if line[:1] in "pl"
    }
    return _per_trial_rows("mlflow MLflowCallback", [values["plain"]], [values["logged"]], trials)


def _ray_train(config):
    from ray import tune

    for step in range(3):
        tune.report({"loss": config["x"] / (step + 1)})


def bench_ray(trials: int, repeats: int) -> list[tuple[str, float, float]]:
    import ray
    from ray import tune

    import autolog

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    storage = tempfile.mkdtemp(prefix="bench-ray-")

    def fit() -> None:
        tune.Tuner(
            _ray_train,
            param_space={"x": tune.grid_search(list(range(trials)))},
            run_config=tune.RunConfig(storage_path=storage, verbose=0),
        ).fit()

    try:
        fit()  # warm-up: worker processes, imports
        plain, logged = [], []
        for _ in range(repeats):
            autolog.autolog(disable=True)
            plain.append(_timed(fit))
            _fresh_store(autolog, "bench-ray-store-")
            autolog.autolog()
            logged.append(_timed(fit))
    finally:
        autolog.autolog(disable=True)
        ray.shutdown()
    return _per_trial_rows("ray tune (driver CPU)", plain, logged, trials)


def bench_ray_worker_side(trials: int) -> list[tuple[str, float, float]]:
    """What a trial's worker does for autolog, without Ray around it: create the trial run with
    its config, record 3 reports (one batch each), end it. Ray's own wall time on a shared
    machine varies by tens of seconds between fits, which hides this cost in the row above."""
    from autolog.integrations._trials import TrialRun
    from autolog.integrations.ray._worker import WorkerTrial, flat_params

    import autolog

    _fresh_store(autolog, "bench-ray-worker-")
    client = autolog.Client()
    parent = client.create_run("0")

    def trial(index: int) -> None:
        run = TrialRun(
            client,
            "0",
            parent.info.run_id,
            f"train_{index:05d}",
            {"autolog.tuning.trial": str(index)},
            params=flat_params({"x": index, "nested": {"lr": 0.1}}),
        )
        worker = WorkerTrial(run)
        for step in range(3):
            worker.on_report(None, {"loss": index / (step + 1), "training_iteration": step + 1}, None)
        worker.end(None)

    trial(-1)
    wall, cpu = _timed(lambda: [trial(i) for i in range(trials)])
    return [
        (
            "ray tune: worker-side recording per trial, 3 reports (ms)",
            1000 * wall / trials,
            1000 * cpu / trials,
        )
    ]


def bench_sampler(samples: int) -> list[tuple[str, float, float]]:
    import autolog
    from autolog.tracking._system_metrics import DEFAULT_INTERVAL_SECONDS, SystemMetricsSampler, _make_reader

    autolog.set_tracking_uri(tempfile.mkdtemp(prefix="bench-sampler-"))
    client = autolog.Client()
    run = client.create_run("0")
    sampler = SystemMetricsSampler(client, run.info.run_id, DEFAULT_INTERVAL_SECONDS)
    read = _make_reader()
    sampler._log(read())  # warm-up
    wall, cpu = _timed(lambda: [sampler._log(read()) for _ in range(samples)])
    client.set_terminated(run.info.run_id)
    per_sample_cpu = cpu / samples
    return [
        ("sampler: one sample (ms)", 1000 * wall / samples, 1000 * per_sample_cpu),
        (
            "sampler: share of one core at 10 s (%)",
            100 * (wall / samples) / DEFAULT_INTERVAL_SECONDS,
            100 * per_sample_cpu / DEFAULT_INTERVAL_SECONDS,
        ),
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "parts",
        nargs="*",
        default=["optuna", "mlflow", "ray", "sampler"],
        help="optuna, mlflow, ray, ray-worker, sampler",
    )
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ray-trials", type=int, default=8)
    parser.add_argument("--ray-repeats", type=int, default=2)
    parser.add_argument("--mlflow-overlay", default="/tmp/dl_distributed/mlflow_overlay")
    args = parser.parse_args(argv)
    rows = []
    if "optuna" in args.parts:
        rows += bench_optuna(args.trials, args.repeats)
    if "mlflow" in args.parts:
        try:
            rows += bench_mlflow(args.trials, args.repeats, args.mlflow_overlay)
        except Exception as error:
            print(f"mlflow side not measured: {error}", file=sys.stderr)
    if "ray" in args.parts:
        rows += bench_ray(args.ray_trials, args.ray_repeats)
    if "ray-worker" in args.parts or "ray" in args.parts:
        rows += bench_ray_worker_side(100)
    if "sampler" in args.parts:
        rows += bench_sampler(200)
    print(f"load average: {os.getloadavg()}")
    print("| row | wall | CPU |\n|---|---:|---:|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
