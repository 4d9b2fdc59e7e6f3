"""Runs in bench/.venv-mlflow: an MLflow sqlite store of RUNS runs x METRICS metrics x STEPS steps.

Usage: python _mlflow_generate.py sqlite:///PATH RUNS METRICS STEPS
Written through MlflowClient.log_batch (1,000 values per call, MLflow's limit), plus 5 params and
2 tags per run; no artifacts, so the number measures metadata.
"""

import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag


def main(uri: str, runs: int, metrics: int, steps: int) -> None:
    client = MlflowClient(uri)
    experiment = client.create_experiment("import-bench")
    now = int(time.time() * 1000)
    for index in range(runs):
        run_id = client.create_run(experiment, run_name=f"run-{index}").info.run_id
        values = [
            Metric(f"metric_{m}", (index + m + s) / 7.0, now + s, s) for m in range(metrics) for s in range(steps)
        ]
        params = [Param(f"p{p}", str(index * p)) for p in range(5)]
        tags = [RunTag("team", "bench"), RunTag("index", str(index))]
        for start in range(0, len(values), 1000):
            client.log_batch(run_id, metrics=values[start:start + 1000],
                             params=params if start == 0 else [], tags=tags if start == 0 else [])
        client.set_terminated(run_id)


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:5]))
