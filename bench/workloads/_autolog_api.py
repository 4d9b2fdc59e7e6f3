"""The autolog side of the adapters (same names as _mlflow_api)."""

from __future__ import annotations

import os

NAME = "autolog"


def configure(workdir: str, store: str = "default") -> str:
    import autolog

    uri = os.path.join(workdir, "autolog-runs")
    autolog.set_tracking_uri(uri)
    return uri


def enable(**opts) -> None:
    import autolog

    autolog.autolog(**opts)


def disable() -> None:
    import autolog

    autolog.autolog(disable=True)


def universal_autolog() -> None:
    from autolog import autolog

    autolog()


def main_module() -> str:
    return "autolog"


def client():
    import autolog

    return autolog.Client()


def experiment_ids(cl) -> list[str]:
    return [e.experiment_id for e in cl.search_experiments()]


def all_runs(cl) -> list:
    ids = experiment_ids(cl)
    out, token = [], None
    while ids:
        page = cl.search_runs(ids, max_results=50000, page_token=token)
        out.extend(page)
        token = page.token
        if not token:
            break
    return out


def parent_id(run) -> str | None:
    return getattr(run.info, "parent_run_id", None) or run.data.tags.get("autolog.parent_run_id")


def has_model(cl, run_id: str) -> bool:
    return any(f.path.rstrip("/").split("/")[-1] == "model" for f in cl.list_artifacts(run_id))


def load_model(run_id: str):
    import autolog

    return autolog.load_model(f"runs:/{run_id}/model")


def create_run(cl, experiment_id: str) -> str:
    return cl.create_run(experiment_id).info.run_id


def start_run():
    import autolog

    return autolog.start_run()


def fluent():
    import autolog

    return autolog


def entities(metrics: list, params: dict | None = None) -> tuple[list, list]:
    """(key, value, timestamp_ms, step) tuples and a dict -> Metric and Param entities."""
    from autolog._core._entities import Metric, Param

    return (
        [Metric(k, v, ts, s) for k, v, ts, s in metrics],
        [Param(k, v) for k, v in (params or {}).items()],
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
