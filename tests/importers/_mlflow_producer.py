"""Runs in the MLflow virtualenv: writes a small MLflow store to import.

Usage: python _mlflow_producer.py TRACKING_URI OUT_JSON [TRACKING_URI OUT_JSON ...]

Autologged scikit-learn runs, a grid search with children, metric histories with steps,
artifacts in folders, two registered models with aliases. OUT_JSON gets what was written
(run ids, the champion's predictions on a fixed input) for the test to compare against.
"""

import json
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3.17 refuses ./mlruns stores otherwise

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402


def _log_folder_artifacts() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "plots", "deep"))
        with open(os.path.join(tmp, "plots", "deep", "curve.csv"), "w") as f:
            f.write("x,y\n1,2\n")
        with open(os.path.join(tmp, "notes.txt"), "w") as f:
            f.write("hello")
        mlflow.log_artifacts(tmp, "extra")


def _train(X, y) -> tuple:
    mlflow.set_experiment("iris")
    mlflow.sklearn.autolog(log_input_examples=False, log_model_signatures=True, silent=True)
    with mlflow.start_run(run_name="logreg") as run:
        LogisticRegression(max_iter=300, C=0.5).fit(X, y)
        mlflow.set_tag("team", "vision")
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        _log_folder_artifacts()
    mlflow.set_experiment("grid")
    with mlflow.start_run(run_name="search") as parent:
        GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=2).fit(X, y)
    mlflow.sklearn.autolog(disable=True)
    return run.info.run_id, parent.info.run_id


def _register(runs: dict) -> None:
    client = MlflowClient()
    versions = {}
    for name, run_id in runs.items():
        version = mlflow.register_model(f"runs:/{run_id}/model", name)
        client.update_registered_model(name, description=f"{name} model")
        client.set_registered_model_tag(name, "owner", "ml-team")
        client.set_model_version_tag(name, version.version, "stage", "prod")
        client.update_model_version(name, version.version, description="first")
        versions[name] = version.version
    client.set_registered_model_alias("iris-logreg", "champion", versions["iris-logreg"])
    client.set_registered_model_alias("iris-tree", "challenger", versions["iris-tree"])


def _files(client, run_id: str, path=None) -> dict:
    found = {}
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            found.update(_files(client, run_id, item.path))
        else:
            found[item.path] = item.file_size
    return found


def _dump() -> dict:
    """Everything the store holds, read back through MLflow's client, for the test to compare."""
    from mlflow.entities import ViewType

    client = MlflowClient()
    experiments = client.search_experiments(view_type=ViewType.ALL)
    runs = client.search_runs([e.experiment_id for e in experiments], run_view_type=ViewType.ALL)
    return {
        "experiments": {e.experiment_id: e.name for e in experiments},
        "runs": {
            run.info.run_id: {
                "experiment": run.info.experiment_id,
                "name": run.info.run_name,
                "status": run.info.status,
                "start": run.info.start_time,
                "end": run.info.end_time,
                "user": run.info.user_id,
                "params": run.data.params,
                "tags": run.data.tags,
                "metrics": {
                    key: [
                        [m.step, m.timestamp, m.value]
                        for m in client.get_metric_history(run.info.run_id, key)
                    ]
                    for key in run.data.metrics
                },
                "files": _files(client, run.info.run_id),
            }
            for run in runs
        },
        "models": {
            m.name: {
                "description": m.description,
                "tags": m.tags,
                "aliases": {a: str(v) for a, v in m.aliases.items()},
                "versions": {
                    str(v.version): {"run_id": v.run_id, "tags": v.tags, "description": v.description}
                    for v in client.search_model_versions(f"name='{m.name}'")
                },
            }
            for m in client.search_registered_models()
        },
    }


def main(uri: str, out_path: str) -> None:
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    X, y = load_iris(return_X_y=True)
    logreg_id, parent_id = _train(X, y)
    _register({"iris-logreg": logreg_id, "iris-tree": parent_id})
    champion = mlflow.sklearn.load_model("models:/iris-logreg@champion")
    probe = X[::10]
    with open(out_path, "w") as f:
        json.dump(
            {
                "logreg_run": logreg_id,
                "grid_parent": parent_id,
                "probe": probe.tolist(),
                "champion_predictions": champion.predict_proba(probe).tolist(),
                "dump": _dump(),
            },
            f,
        )


if __name__ == "__main__":
    for index in range(1, len(sys.argv), 2):  # one process for several stores: imports cost most
        main(sys.argv[index], sys.argv[index + 1])
