"""Read an MLflow tracking store through MLflow's own client and print it as JSON lines.

This file is a standalone script: it imports only the standard library and ``mlflow``, so it
runs in any interpreter that has MLflow (the current one when ``autolog[mlflow-import]`` is
installed, or another virtualenv given with ``--mlflow-python``). It never writes to the source.

Usage: python _mlflow_export.py SOURCE WORK_DIR [--experiment NAME]... [--skip FILE] [--dry-run]

One JSON object per line on stdout, in this order: every experiment, then every run (parents
before their children; a run listed in the ``--skip`` file is reported by id only), then every
registered model with its versions. A run's artifacts (and the MLflow 3 logged models made by
the run) are downloaded into ``WORK_DIR/<run_id>``; the reader removes that folder once it has
copied them, before asking for the next line, so at most one run's files are on disk at a time.
"""

import json
import os
import sys

_PAGE = 1000


def _emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record, allow_nan=True) + "\n")
    sys.stdout.flush()
    # The reader answers each run with a line on stdin once it has copied the run's files.
    if record.get("kind") == "run" and record.get("files"):
        sys.stdin.readline()


def _experiments(client, names):
    from mlflow.entities import ViewType

    found = client.search_experiments(view_type=ViewType.ALL, max_results=50000)
    if names:
        missing = sorted(set(names) - {e.name for e in found})
        if missing:
            raise SystemExit(f"no MLflow experiment named {', '.join(map(repr, missing))}")
        found = [e for e in found if e.name in names]
    return found


def _all_runs(client, experiment_ids):
    from mlflow.entities import ViewType

    runs, token = [], None
    while experiment_ids:
        page = client.search_runs(
            experiment_ids, run_view_type=ViewType.ALL, max_results=_PAGE, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    return runs


def _parents_first(runs):
    by_id = {run.info.run_id: run for run in runs}

    def depth(run, seen=()):
        parent = run.data.tags.get("mlflow.parentRunId")
        if parent in by_id and parent not in seen:
            return 1 + depth(by_id[parent], seen + (run.info.run_id,))
        return 0

    return sorted(runs, key=lambda run: (depth(run), run.info.start_time or 0))


def _metric_histories(client, run):
    bulk = _sql_metric_histories(client, run.info.run_id)
    if bulk is not None:
        return bulk
    return {
        key: [[m.step, m.timestamp, m.value] for m in client.get_metric_history(run.info.run_id, key)]
        for key in run.data.metrics
    }


def _sql_metric_histories(client, run_id):
    """Every metric value of a run in ONE query, through MLflow's own ORM, for a database store
    (the client asks once per key: twenty keys, twenty round trips); None for other stores."""
    try:
        from mlflow.store.tracking.dbmodels.models import SqlMetric
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        sql_store = client._tracking_client.store  # MLflow's store, not an autolog Store
    except (ImportError, AttributeError):
        return None
    if not isinstance(sql_store, SqlAlchemyStore):
        return None
    histories = {}
    with sql_store.ManagedSessionMaker() as session:
        rows = (
            session.query(
                SqlMetric.key, SqlMetric.step, SqlMetric.timestamp, SqlMetric.value, SqlMetric.is_nan
            )
            .filter(SqlMetric.run_uuid == run_id)
            .order_by(SqlMetric.key, SqlMetric.step, SqlMetric.timestamp)
            .all()
        )
    for key, step, timestamp, value, is_nan in rows:
        histories.setdefault(key, []).append([step, timestamp, float("nan") if is_nan else value])
    return histories


def _download(source_uri, destination):
    import mlflow

    os.makedirs(destination, exist_ok=True)
    return mlflow.artifacts.download_artifacts(artifact_uri=source_uri, dst_path=destination)


def _has_artifacts(client, run_id):
    try:
        return bool(client.list_artifacts(run_id))
    except Exception:
        return False


def _logged_models(client, experiment_ids):
    """MLflow 3 keeps a run's logged models outside its artifacts: {run_id: [model, ...]}."""
    search = getattr(client, "search_logged_models", None)
    if search is None or not experiment_ids:
        return {}
    by_run, token = {}, None
    while True:
        page = search(experiment_ids=experiment_ids, max_results=100, page_token=token)
        for model in page:
            if model.source_run_id:
                by_run.setdefault(model.source_run_id, []).append(model)
        token = page.token
        if not token:
            return by_run


def _run_record(client, run, work_dir, logged_models, dry_run):
    info = run.info
    record = {
        "kind": "run",
        "run_id": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "lifecycle_stage": info.lifecycle_stage,
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
    }
    if dry_run:
        return record
    record["metrics"] = _metric_histories(client, run)
    record["metric_values"] = sum(len(values) for values in record["metrics"].values())
    folder = os.path.join(work_dir, info.run_id)
    files, models = None, []
    if _has_artifacts(client, info.run_id):
        files = _download(f"runs:/{info.run_id}/", os.path.join(folder, "artifacts"))
    for model in logged_models.get(info.run_id, []):
        target = _download(model.artifact_location, os.path.join(folder, "models", model.model_id))
        models.append(
            {"model_id": model.model_id, "name": model.name, "dir": target, "flavors": _flavors(target)}
        )
    record["artifacts_dir"] = files
    record["artifact_models"] = _take_models_out(files, os.path.join(folder, "artifact-models"))
    record["logged_models"] = models
    record["files"] = bool(files or models)
    return record


def _flavors(directory):
    """The flavors of the MLflow model in ``directory`` (from its MLmodel file)."""
    from mlflow.models import Model

    try:
        return Model.load(os.path.join(directory, "MLmodel")).flavors
    except Exception:
        return {}


def _take_models_out(files, destination):
    """Move the model directories (with an MLmodel file) out of a run's downloaded artifacts
    (MLflow 2 logs models there): the reader logs them as models, the rest as files."""
    if not files:
        return []
    found = []
    for directory, subdirectories, names in os.walk(files):
        if "MLmodel" in names and directory != files:
            relative = os.path.relpath(directory, files)
            target = os.path.join(destination, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(directory, target)
            found.append({"name": relative.replace(os.sep, "/"), "dir": target, "flavors": _flavors(target)})
            subdirectories[:] = []
    return found


def _registered_models(client, experiment_ids, run_ids):
    from mlflow.entities import ViewType  # noqa: F401  (mlflow is importable: checked already)

    for model in client.search_registered_models(max_results=1000):
        versions = [
            {
                "version": str(v.version),
                "run_id": v.run_id,
                "source": v.source,
                "model_id": getattr(v, "model_id", None),
                "description": v.description or "",
                "tags": dict(v.tags or {}),
                "creation_timestamp": v.creation_timestamp,
            }
            for v in client.search_model_versions(f"name='{model.name}'", max_results=10000)
        ]
        if run_ids is not None:
            versions = [v for v in versions if v["run_id"] in run_ids]
            if not versions:
                continue
        yield {
            "kind": "registered_model",
            "name": model.name,
            "description": model.description or "",
            "tags": dict(model.tags or {}),
            "aliases": {alias: str(v) for alias, v in (model.aliases or {}).items()},
            "versions": sorted(versions, key=lambda v: int(v["version"])),
        }


def main(argv):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("work_dir")
    parser.add_argument("--experiment", action="append", default=[])
    parser.add_argument("--skip", default=None)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    import mlflow
    from mlflow import MlflowClient

    # The fluent settings too: artifact downloads resolve runs:/ URIs through them.
    mlflow.set_tracking_uri(args.source)
    mlflow.set_registry_uri(args.source)
    client = MlflowClient(tracking_uri=args.source, registry_uri=args.source)
    skip = set()
    if args.skip:
        with open(args.skip) as f:
            skip = {line.strip() for line in f if line.strip()}
    _emit({"kind": "source", "mlflow_version": mlflow.__version__})
    experiments = _experiments(client, args.experiment)
    for e in experiments:
        _emit(
            {
                "kind": "experiment",
                "experiment_id": e.experiment_id,
                "name": e.name,
                "lifecycle_stage": e.lifecycle_stage,
                "tags": dict(e.tags or {}),
            }
        )
    experiment_ids = [e.experiment_id for e in experiments]
    runs = _parents_first(_all_runs(client, experiment_ids))
    _emit({"kind": "plan", "runs": len(runs)})
    logged_models = {} if args.dry_run else _logged_models(client, experiment_ids)
    for run in runs:
        if run.info.run_id in skip:
            _emit({"kind": "run", "run_id": run.info.run_id, "skipped": True})
            continue
        try:
            _emit(_run_record(client, run, args.work_dir, logged_models, args.dry_run))
        except Exception as exc:  # one unreadable run is reported, the others still come
            _emit({"kind": "run", "run_id": run.info.run_id, "error": f"{type(exc).__name__}: {exc}"})
    limit = {run.info.run_id for run in runs} if args.experiment else None
    for record in _registered_models(client, experiment_ids, limit):
        _emit(record)
    _emit({"kind": "end"})


if __name__ == "__main__":
    main(sys.argv[1:])
