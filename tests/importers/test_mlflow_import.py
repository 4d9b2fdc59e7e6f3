"""`autolog import mlflow` against stores written by real MLflow 3.17.2 (sqlite and file forms).

MLflow runs in its own virtualenv (see conftest.py); the importer reads through it with
--mlflow-python, as a user without the mlflow-import extra would.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os

import numpy as np
import pytest

import autolog
from autolog.cli import main as cli
from autolog.importers._mlflow import IMPORTED_TAG, TAG_MAP
from autolog.store import open_store

pytestmark = pytest.mark.slow


def _tree_digest(uri: str) -> str:
    path = uri[len("sqlite:///") :] if uri.startswith("sqlite:///") else uri
    digest = hashlib.sha256()
    paths = (
        [path]
        if os.path.isfile(path)
        else sorted(os.path.join(d, f) for d, _, files in os.walk(path) for f in files)
    )
    for name in paths:
        digest.update(name.encode())
        with open(name, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def _import(uri: str, store_dir, mlflow_python: str, capsys=None, *extra: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli(
            [
                "--store",
                str(store_dir),
                "import",
                "mlflow",
                uri,
                "--mlflow-python",
                mlflow_python,
                "--json",
                *extra,
            ]
        )
    report = json.loads(out.getvalue())
    assert status == 0, report["failed"]
    return report


@pytest.fixture(scope="module", params=["sqlite", "file"])
def imported(request, mlflow_stores, mlflow_python, tmp_path_factory):
    """One import per MLflow store form, shared by the tests that only read it."""
    uri, facts = mlflow_stores[request.param]
    before = _tree_digest(uri)
    store_dir = tmp_path_factory.mktemp(f"imported-{request.param}")
    report = _import(uri, store_dir, mlflow_python)
    assert _tree_digest(uri) == before, "the import modified the MLflow store"
    return uri, facts, report, store_dir


def test_everything_is_imported_value_by_value(imported):
    uri, facts, report, store_dir = imported
    dump, store = facts["dump"], open_store(str(store_dir))
    assert report["imported"]["runs"] == len(dump["runs"]) == 5
    assert report["imported"]["registered_models"] == 2 and report["imported"]["aliases"] == 2
    for run_id, expected in dump["runs"].items():
        _check_run(store, run_id, expected, dump)
    assert report["imported"]["metric_values"] == sum(
        len(values) for run in dump["runs"].values() for values in run["metrics"].values()
    )
    for name, expected in dump["models"].items():
        _check_registered_model(store, name, expected)


def _check_run(store, run_id: str, expected: dict, dump: dict) -> None:
    run = store.get_run(run_id)  # the id is kept
    info = run.info
    experiment = store.get_experiment(info.experiment_id).name
    assert experiment == dump["experiments"][expected["experiment"]]
    assert (info.run_name, info.status, info.start_time, info.end_time, info.user_id) == (
        expected["name"],
        expected["status"],
        expected["start"],
        expected["end"],
        expected["user"],
    )
    assert info.parent_run_id == expected["tags"].get("mlflow.parentRunId")
    assert run.data.params == expected["params"]
    for key, value in expected["tags"].items():
        if key not in ("mlflow.runName", "mlflow.parentRunId"):
            assert run.data.tags[TAG_MAP.get(key, key)] == value, key
    assert run.data.tags[IMPORTED_TAG].startswith("mlflow:")
    for key, history in expected["metrics"].items():
        got = [[m.step, m.timestamp, m.value] for m in store.get_metric_history(run_id, key)]
        assert got == history, key
    files = _artifact_files(store.artifacts(run_id).local_path(""))
    for path, size in expected["files"].items():
        assert files[path] == size, path


def _artifact_files(root: str) -> dict:
    return {
        os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"): os.path.getsize(os.path.join(d, f))
        for d, _, names in os.walk(root)
        for f in names
    }


def _check_registered_model(store, name: str, expected: dict) -> None:
    model = store.get_registered_model(name)
    assert (model.description, model.tags) == (expected["description"], expected["tags"])
    versions = store.search_model_versions(name)
    assert len(versions) == len(expected["versions"])
    by_mlflow = {v.tags["autolog.import.mlflow_version"]: v for v in versions}
    for number, version in expected["versions"].items():
        got = by_mlflow[number]
        assert (got.run_id, got.description) == (version["run_id"], version["description"])
        assert {k: v for k, v in got.tags.items() if not k.startswith("autolog.")} == version["tags"]
    for alias, number in expected["aliases"].items():
        assert store.get_model_version_by_alias(name, alias).version == by_mlflow[number].version


def test_champion_loads_by_alias_and_predicts_like_mlflow(imported):
    uri, facts, report, store_dir = imported
    autolog.set_tracking_uri(str(store_dir))
    try:
        champion = autolog.load_model("models:/iris-logreg@champion")
        same = autolog.load_model(f"runs:/{facts['logreg_run']}/model")
    finally:
        autolog.set_tracking_uri(None)
    probe = np.array(facts["probe"])
    np.testing.assert_array_equal(champion.predict_proba(probe), facts["champion_predictions"])
    np.testing.assert_array_equal(same.predict_proba(probe), facts["champion_predictions"])
    model_dir = open_store(str(store_dir)).artifacts(facts["logreg_run"]).local_path("model")
    with open(os.path.join(model_dir, "autolog-model.json")) as f:
        metadata = json.load(f)
    assert metadata["model_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert metadata["serialization_format"] == "cloudpickle" and len(metadata["sha256"]) == 64
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == metadata["sha256"]
    # The usual integrity check: a changed file is refused before anything is unpickled.
    model_file = os.path.join(model_dir, "model.pkl")
    with open(model_file, "rb") as f:
        original = f.read()
    with open(model_file, "ab") as f:
        f.write(b"\0")
    autolog.set_tracking_uri(str(store_dir))
    try:
        with pytest.raises(autolog.exceptions.ModelIntegrityError):
            autolog.load_model("models:/iris-logreg@champion")
    finally:
        autolog.set_tracking_uri(None)
        with open(model_file, "wb") as f:  # the store is shared with the other tests of this form
            f.write(original)


def test_reimport_skips_complete_runs_and_redoes_a_half_written_one(
    mlflow_stores, mlflow_python, tmp_path, capsys
):
    uri, facts = mlflow_stores["sqlite"]
    first = _import(uri, tmp_path, mlflow_python, capsys)
    store = open_store(str(tmp_path))
    half_written = facts["logreg_run"]
    store.delete_tag(half_written, IMPORTED_TAG)  # as if the import died before the last step
    second = _import(uri, tmp_path, mlflow_python, capsys)
    assert first["imported"]["runs"] == 5 and second["imported"]["runs"] == 1
    skipped = {item["item"] for item in second["skipped"]}
    assert sum(item.startswith("run ") for item in skipped) == 4 and f"run {half_written}" not in skipped
    assert {"model version iris-logreg/1", "model version iris-tree/1"} <= skipped
    assert "registered_models" not in second["imported"] and "aliases" not in second["imported"]
    expected = facts["dump"]["runs"][half_written]
    history = [[m.step, m.timestamp, m.value] for m in store.get_metric_history(half_written, "loss")]
    assert history == expected["metrics"]["loss"]
    assert len(store.search_model_versions("iris-logreg")) == 1


def test_dry_run_counts_one_experiment_and_writes_nothing(mlflow_stores, mlflow_python, tmp_path, capsys):
    uri, facts = mlflow_stores["file"]
    report = _import(uri, tmp_path, mlflow_python, capsys, "--dry-run", "--experiment", "grid")
    assert report["dry_run"] and report["imported"]["runs"] == 4  # the search and its 3 children
    assert report["imported"]["registered_models"] == 1 and report["imported"]["model_versions"] == 1
    store = open_store(str(tmp_path))
    assert [e.name for e in store.search_experiments()] == ["Default"]
    assert store.count_runs("0") == 0


def test_an_unknown_experiment_is_a_one_line_error(mlflow_stores, mlflow_python, tmp_path, capsys):
    uri, _ = mlflow_stores["sqlite"]
    status = cli(
        [
            "--store",
            str(tmp_path),
            "import",
            "mlflow",
            uri,
            "--mlflow-python",
            mlflow_python,
            "--experiment",
            "nope",
            "--no-progress",
        ]
    )
    assert status == 1
    assert "no MLflow experiment named 'nope'" in capsys.readouterr().err
