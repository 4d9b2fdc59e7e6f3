"""The MLflow side of the adapters (same names as _autolog_api)."""

from __future__ import annotations

import os

NAME = "mlflow"


def configure(workdir: str, store: str = "sqlite") -> str:
    """store 'sqlite' is MLflow 3's default (sqlite:///mlflow.db, artifacts in ./mlruns)."""
    import mlflow

    if store == "file":
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # 3.x refuses the file store otherwise
        uri = "file://" + os.path.join(workdir, "mlruns-file")
    else:
        uri = "sqlite:///" + os.path.join(workdir, "mlflow.db")
    mlflow.set_tracking_uri(uri)
    return uri


def enable(**opts) -> None:
    import mlflow.sklearn

    mlflow.sklearn.autolog(**opts)


def disable() -> None:
    import mlflow.sklearn

    mlflow.sklearn.autolog(disable=True)


def universal_autolog() -> None:
    import mlflow

    mlflow.autolog()


def main_module() -> str:
    return "mlflow"


def client():
    from mlflow import MlflowClient

    return MlflowClient()


def experiment_ids(cl) -> list[str]:
    return [e.experiment_id for e in cl.search_experiments()]


def all_runs(cl) -> list:
    ids = experiment_ids(cl)
    out, token = [], None
    while True:
        page = cl.search_runs(ids, max_results=50000, page_token=token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def parent_id(run) -> str | None:
    return run.data.tags.get("mlflow.parentRunId")


def has_model(cl, run_id: str) -> bool:
    """MLflow 3 keeps models as LoggedModels whose source run is the run."""
    run = cl.get_run(run_id)
    models = cl.search_logged_models(experiment_ids=[run.info.experiment_id])
    return any(m.source_run_id == run_id for m in models)


def load_model(run_id: str):
    import mlflow.sklearn

    return mlflow.sklearn.load_model(f"runs:/{run_id}/model")


def create_run(cl, experiment_id: str) -> str:
    return cl.create_run(experiment_id).info.run_id


def start_run():
    import mlflow

    return mlflow.start_run()


def fluent():
    import mlflow

    return mlflow


def entities(metrics: list, params: dict | None = None) -> tuple[list, list]:
    """(key, value, timestamp_ms, step) tuples and a dict -> Metric and Param entities."""
    from mlflow.entities import Metric, Param

    return (
        [Metric(k, v, ts, s) for k, v, ts, s in metrics],
        [Param(k, str(v)) for k, v in (params or {}).items()],
    )


def log_batch(cl, run_id: str, metrics: list, params: list = ()) -> None:
    cl.log_batch(run_id, metrics=metrics, params=params)


def set_terminated(cl, run_id: str) -> None:
    cl.set_terminated(run_id)


def metric_history(cl, run_id: str, key: str) -> list:
    return cl.get_metric_history(run_id, key)


def search(cl, experiment_ids, filter_string, order_by, max_results) -> list:
    return list(
        cl.search_runs(
            experiment_ids, filter_string=filter_string, order_by=order_by, max_results=max_results
        )
    )


def default_experiment(cl) -> str:
    return "0"
