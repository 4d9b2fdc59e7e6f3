"""Big stores for the UI's scale tests and the `ui` bench workload, written through the store's
batch call (``log_batch``) so that a million points take seconds, not minutes."""

from __future__ import annotations

import math
import time

from autolog.entities import Metric

BATCH = 50_000
T0 = 1_760_000_000_000


def compare_runs(client, experiment_id: str, *, runs: int, metrics: int, steps: int) -> list:
    """``runs`` finished runs, each with ``metrics`` metrics of ``steps`` steps and 4 params."""
    ids = []
    for i in range(runs):
        run = client.create_run(
            experiment_id,
            run_name=f"trial-{i:03d}",
            params={
                "lr": str(round(0.001 * (1 + i % 10), 4)),
                "depth": str(2 + i % 5),
                "optimizer": ("adam", "sgd", "rmsprop")[i % 3],
                "seed": "0",
            },
        )
        rows = [
            Metric(f"m{k:02d}", math.exp(-s / (100 + 7 * i + 13 * k)) + 0.01 * ((s * 7 + i) % 11), T0 + s, s)
            for k in range(metrics)
            for s in range(steps)
        ]
        for start in range(0, len(rows), BATCH):
            client.log_batch(run.info.run_id, metrics=rows[start : start + BATCH])
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return ids


def long_run(client, experiment_id: str, *, steps: int, key: str = "loss") -> str:
    """One finished run with a ``steps``-long, noisy, spiky metric."""
    run = client.create_run(experiment_id, run_name=f"long-{steps}")
    for start in range(0, steps, BATCH):
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric(key, _noisy(s, steps), T0 + s, s) for s in range(start, min(steps, start + BATCH))
            ],
        )
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _noisy(step: int, steps: int) -> float:
    base = 2.0 * math.exp(-5 * step / steps) + 0.05 * math.sin(step / 50)
    return base + (1.5 if step == steps // 3 else 0.0)  # one spike that down-sampling must keep


def wide_experiment(client, experiment_id: str, *, keys: int, runs: int = 100) -> list:
    """``runs`` runs sharing ``keys`` distinct keys (half metrics, half params) between them."""
    per_run = max(1, keys // 2 // runs)
    ids = []
    for i in range(runs):
        run = client.create_run(experiment_id, run_name=f"wide-{i:03d}")
        base = i * per_run
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"metric_{base + j:05d}", float(j), T0 + i * 1000 + j, 0) for j in range(per_run)]
            + [Metric("accuracy", 0.5 + i / (2 * runs), T0 + 10**7 + i, 0)],
            params=[(f"param_{base + j:05d}", str(j)) for j in range(per_run)]
            + [("model", "cnn"), ("lr", str(i % 7))],
        )
        client.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    return ids


def timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"[data] {label}: {time.perf_counter() - started:.1f} s")
    return result
