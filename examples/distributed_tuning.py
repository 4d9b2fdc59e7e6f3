"""An Optuna study run by two processes, a Ray Tune run and a Dask grid search, in ONE store.

    python examples/distributed_tuning.py /tmp/tuning-store

Needs ``pip install 'autolog[optuna,ray,dask]'``. Prints the run tree of each experiment.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

OPTUNA_WORKER = textwrap.dedent(
    """
    import sys, optuna, autolog
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    autolog.set_tracking_uri(sys.argv[1])
    autolog.set_experiment("optuna-two-processes")
    autolog.autolog(log_models=False)
    X, y = load_iris(return_X_y=True)
    def objective(trial):
        C = trial.suggest_float("C", 1e-3, 10.0, log=True)
        for step in range(3):
            trial.report(C * step, step)
        return LogisticRegression(C=C, max_iter=300).fit(X, y).score(X, y)
    study = optuna.load_study(study_name="iris", storage=sys.argv[2])
    study.optimize(objective, n_trials=3)
    """
)


def optuna_two_processes(store: str) -> None:
    import os

    import optuna

    os.makedirs(store, exist_ok=True)
    storage = f"sqlite:///{store}/optuna.db"
    optuna.create_study(study_name="iris", storage=storage, direction="maximize", load_if_exists=True)
    workers = [subprocess.Popen([sys.executable, "-c", OPTUNA_WORKER, store, storage]) for _ in range(2)]
    for worker in workers:
        worker.wait()


def ray_tune(store: str) -> None:
    import ray
    from ray import tune

    import autolog

    def train(config):
        for step in range(3):
            tune.report({"loss": config["lr"] / (step + 1)})

    autolog.set_experiment("ray-tune")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tune.Tuner(
            train,
            param_space={"lr": tune.grid_search([0.1, 0.01, 0.001])},
            tune_config=tune.TuneConfig(metric="loss", mode="min"),
            run_config=tune.RunConfig(name="lr-sweep", storage_path=f"{store}/ray", verbose=0),
        ).fit()
    finally:
        ray.shutdown()


def dask_grid_search() -> None:
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    import autolog

    autolog.set_experiment("dask-grid-search")
    X, y = load_iris(return_X_y=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_backend("dask"):
            GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1.0, 10.0]}, cv=3, n_jobs=2).fit(
                X, y
            )


def print_tree(store: str, experiment_name: str) -> None:
    import autolog

    client = autolog.Client(store)
    experiment = client.get_experiment_by_name(experiment_name)
    runs = list(
        client.search_runs([experiment.experiment_id], max_results=10000, order_by=["attributes.start_time"])
    )
    children: dict = {}
    for run in runs:
        children.setdefault(run.info.parent_run_id, []).append(run)
    print(f"experiment {experiment_name!r}: {len(runs)} runs")

    def show(run, depth: int) -> None:
        data = run.data
        shown = {k: round(v, 4) for k, v in sorted(data.metrics.items()) if not k.startswith("training_")}
        extra = {
            k: v
            for k, v in data.tags.items()
            if k in ("optuna.trial.state", "ray.trial.status", "ray.worker_pid")
        }
        print(
            f"{'    ' * depth}{run.info.run_name} [{run.info.status}] {run.info.run_id[:8]} {shown} {extra}"
        )
        for child in children.get(run.info.run_id, []):
            show(child, depth + 1)

    for root in children.get(None, []):
        show(root, 1)


def main() -> None:
    store = sys.argv[1]
    import autolog

    autolog.set_tracking_uri(store)
    autolog.autolog(log_models=False)
    optuna_two_processes(store)
    ray_tune(store)
    dask_grid_search()
    for name in ("optuna-two-processes", "ray-tune", "dask-grid-search"):
        print_tree(store, name)


if __name__ == "__main__":
    main()
