"""Runs in bench/.venv-mlflow: an MLflow sqlite store of RUNS runs x METRICS metrics x STEPS steps.

Usage: python _mlflow_generate.py sqlite:///PATH RUNS METRICS STEPS

MLflow creates the database (its schema and migrations) and one template run through its
client; the other runs are copies of that run's row inserted in bulk with sqlite3 into MLflow's
own tables (runs, metrics, latest_metrics, params, tags): through the client, the 2 million
values of the default size take over an hour on a shared 2-core machine, and what is timed is
the import, not this. Every run gets 5 params and 2 tags; no artifacts.
"""

import sqlite3
import sys
import time
import uuid

from mlflow import MlflowClient


def _columns(connection, table):
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def main(uri: str, runs: int, metrics: int, steps: int) -> None:
    client = MlflowClient(uri)
    experiment = client.create_experiment("import-bench")
    template = client.create_run(experiment, run_name="template").info.run_id
    client.set_terminated(template)
    connection = sqlite3.connect(uri[len("sqlite:///") :])
    run_columns = _columns(connection, "runs")
    copied = ", ".join("?" if c in ("run_uuid", "name") else c for c in run_columns)
    now = int(time.time() * 1000)
    with connection:
        connection.execute("DELETE FROM tags WHERE run_uuid = ?", (template,))
        for index in range(runs):
            run_id = template if index == 0 else uuid.uuid4().hex
            if index:
                connection.execute(
                    f"INSERT INTO runs ({', '.join(run_columns)}) SELECT {copied} FROM runs WHERE run_uuid = ?",
                    [
                        run_id if c == "run_uuid" else f"run-{index}"
                        for c in run_columns
                        if c in ("run_uuid", "name")
                    ]
                    + [template],
                )
            values = [
                (f"metric_{m}", (index + m + s) / 7.0, now + s, run_id, s, 0)
                for m in range(metrics)
                for s in range(steps)
            ]
            connection.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
            connection.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
                [
                    (f"metric_{m}", (index + m + steps - 1) / 7.0, now + steps - 1, steps - 1, run_id)
                    for m in range(metrics)
                ],
            )
            connection.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(f"p{p}", str(index * p), run_id) for p in range(5)],
            )
            connection.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [
                    ("team", "bench", run_id),
                    ("index", str(index), run_id),
                    ("mlflow.runName", f"run-{index}", run_id),
                ],
            )
    connection.close()
    # Read back through MLflow: the copies are runs MLflow itself sees.
    found = client.search_runs([experiment], max_results=runs + 1)
    assert len(found) == min(runs, 1000), len(found)


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:5]))
