"""log_model into a run of a real directory store, and loading through runs:/ URIs."""

from __future__ import annotations

import os
import statistics
import threading
import time

import numpy as np
import pytest

import autolog
from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError
from autolog.models import METADATA_FILE_NAME, load_input_example, load_model, log_model
from autolog.tracking import Client, get_store


def artifact_dir(run_id: str, name: str = "model") -> str:
    """The model's directory on disk: in the store, or downloaded when artifacts are remote."""
    repository = get_store().artifacts(run_id)
    return repository.local_path(name) or repository.download_artifacts(name)


def assert_no_artifacts(run_id: str) -> None:
    repository = get_store().artifacts(run_id)
    assert repository.list_files("") == []
    root = repository.local_path("")
    if root is not None:  # not even a hidden staging directory
        assert not os.path.exists(root) or os.listdir(root) == []


def test_log_model_in_the_active_run(tracking_dir, logistic, iris):
    X, _ = iris
    with autolog.start_run() as run:
        info = log_model(logistic)
    run_id = run.info.run_id
    assert info.run_id == run_id and info.artifact_path == "model"
    assert info.model_uri == f"runs:/{run_id}/model"
    loaded = load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), logistic.predict(X))


def test_only_two_files_are_written(tracking_dir, logistic):
    with autolog.start_run() as run:
        info = log_model(logistic)
    files = get_store().artifacts(run.info.run_id).list_files("")
    assert [f.path for f in files] == sorted(
        f"model/{name}" for name in (METADATA_FILE_NAME, info.metadata.model_file)
    )
    directory = get_store().artifacts(run.info.run_id).local_path("model")
    if directory is not None:  # no staging directory left next to it
        assert os.listdir(os.path.dirname(directory)) == ["model"]


def test_listed_by_the_client(tracking_dir, logistic):
    with autolog.start_run() as run:
        log_model(logistic, "models/best")
    listed = Client().list_artifacts(run.info.run_id, "models/best")
    assert sorted(os.path.basename(f.path) for f in listed) == sorted([METADATA_FILE_NAME, "model.pkl"])


def test_explicit_run_id_and_formats(tracking_dir, forest, iris):
    X, _ = iris
    client = Client()
    run = client.create_run("0")
    run_id = run.info.run_id
    for fmt in ("pickle", "cloudpickle", "joblib", "skops"):
        info = log_model(forest, f"model-{fmt}", run_id=run_id, serialization_format=fmt)
        trusted = ["sklearn.tree._tree.Tree"] if fmt == "skops" else None
        loaded = load_model(info.model_uri, trusted_types=trusted)
        np.testing.assert_array_equal(loaded.predict(X), forest.predict(X))


def test_input_example_and_signature(tracking_dir, column_pipeline, frame_data):
    frame, _ = frame_data
    with autolog.start_run():
        info = log_model(column_pipeline, input_example=frame)
    assert info.metadata.input_example == "input_example.json"
    assert [item["name"] for item in info.metadata.signature["inputs"]] == ["age", "income", "city"]
    assert len(load_input_example(info.model_uri)) == 5


def test_no_active_run(tracking_dir, logistic):
    with pytest.raises(InvalidInputError, match="start_run"):
        log_model(logistic)


def test_unknown_run(tracking_dir, logistic):
    with autolog.start_run():
        pass  # creates the store
    with pytest.raises(NotFoundError):
        log_model(logistic, run_id="0" * 32)


def test_name_taken(tracking_dir, logistic):
    with autolog.start_run():
        log_model(logistic)
        with pytest.raises(ConflictError, match="already has artifacts under 'model'"):
            log_model(logistic)


def test_bad_names_write_nothing(tracking_dir, logistic):
    with autolog.start_run() as run:
        for name in ("", "../escape", "/abs"):
            with pytest.raises(InvalidInputError):
                log_model(logistic, name)
    assert_no_artifacts(run.info.run_id)


def test_runs_uri_errors(tracking_dir, logistic):
    with autolog.start_run() as run:
        log_model(logistic)
    run_id = run.info.run_id
    with pytest.raises(NotFoundError, match="no model at 'other'"):
        load_model(f"runs:/{run_id}/other")
    with pytest.raises(NotFoundError):
        load_model(f"runs:/{'f' * 32}/model")
    with pytest.raises(InvalidInputError):
        load_model(f"runs:/{run_id}/../../escape")


def test_artifact_directory_path_loads_too(tracking_dir, logistic):
    with autolog.start_run() as run:
        log_model(logistic)
    assert load_model(artifact_dir(run.info.run_id)).n_features_in_ == 4


def test_concurrent_log_and_load(tracking_dir, logistic, iris):
    """Threads logging models into their own runs while others load them: no partial model seen."""
    X, _ = iris
    expected = logistic.predict(X)
    client = Client()
    run_ids = [client.create_run("0").info.run_id for _ in range(8)]
    errors = []

    def log_then_load(run_id):
        try:
            info = log_model(logistic, run_id=run_id)
            np.testing.assert_array_equal(load_model(info.model_uri).predict(X), expected)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=log_then_load, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_load_latency_is_reported(tracking_dir, logistic, capsys):
    """Prints the median ``load_model("runs:/ID/model")`` time; not asserted (machine-dependent)."""
    with autolog.start_run():
        info = log_model(logistic)
    load_model(info.model_uri)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        load_model(info.model_uri)
        timings.append((time.perf_counter() - start) * 1000)
    with capsys.disabled():
        print(f"\nload_model(runs:/ID/model) LogisticRegression: median {statistics.median(timings):.2f} ms")


def test_failed_serialization_leaves_no_trace_in_the_run(tracking_dir):
    from sklearn.preprocessing import FunctionTransformer

    with autolog.start_run() as run, pytest.raises(Exception):
        log_model(FunctionTransformer(func=lambda X: X))
    assert_no_artifacts(run.info.run_id)


def test_name_taken_by_a_file(tracking_dir, logistic):
    with autolog.start_run() as run:
        autolog.log_text("x", "model")
        with pytest.raises(ConflictError, match="already has artifacts under 'model'"):
            log_model(logistic)
    assert [(f.path, f.is_dir) for f in get_store().artifacts(run.info.run_id).list_files("model")] == [
        ("model", False)
    ]
