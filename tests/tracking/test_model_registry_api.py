"""The model registry through ``autolog.Client`` and the module-level API, and ``models:/`` loading."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autolog
from autolog.exceptions import ConflictError, InvalidInputError, ModelIntegrityError, NotFoundError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "model_registry.py")


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


@pytest.fixture(params=["directory", "postgres"])
def tracking(request, tmp_path, monkeypatch):
    """The current tracking URI on a fresh directory store or PostgreSQL database; its Client."""
    if request.param == "postgres":
        uri = request.getfixturevalue("fresh_postgres_uri")
        monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    else:
        uri = str(tmp_path / "store")
    autolog.set_tracking_uri(uri)
    yield autolog.Client(uri)
    autolog.set_tracking_uri(None)


def _run_with_model(client, model, name="model") -> str:
    run = client.create_run("0")
    autolog.log_model(model, name, run_id=run.info.run_id)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _fitted(iris, C):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(C=C, max_iter=500).fit(X, y)


def test_register_and_load_by_every_uri_form(tracking, iris):
    X, _ = iris
    first, second = _fitted(iris, 0.01), _fitted(iris, 10.0)
    run_a, run_b = _run_with_model(tracking, first), _run_with_model(tracking, second)
    v1 = tracking.register_model(f"runs:/{run_a}/model", "iris", tags={"C": 0.01}, description="small C")
    v2 = autolog.register_model(f"runs:/{run_b}/model", "iris")
    assert (v1.version, v2.version, v1.tags, v1.description) == (1, 2, {"C": "0.01"}, "small C")
    autolog.set_registered_model_alias("iris", "champion", 1)

    expected = {
        "models:/iris/1": first,
        "models:/iris@champion": first,
        "models:/iris/2": second,
        "models:/iris/latest": second,
        f"runs:/{run_b}/model": second,
    }
    for uri, model in expected.items():
        assert (autolog.load_model(uri).predict_proba(X) == model.predict_proba(X)).all(), uri

    autolog.set_registered_model_alias("iris", "champion", 2)  # the alias moves, loading follows
    assert (autolog.load_model("models:/iris@champion").predict_proba(X) == second.predict_proba(X)).all()
    assert autolog.get_model_version_by_alias("iris", "champion").version == 2


def test_module_level_functions_cover_the_client(tracking, iris):
    run_id = _run_with_model(tracking, _fitted(iris, 1.0))
    autolog.create_registered_model("churn", tags={"team": "risk"}, description="d")
    autolog.register_model(f"runs:/{run_id}/model", "churn")
    autolog.set_registered_model_tag("churn", "owner", "ana")
    autolog.set_model_version_tag("churn", 1, "validated", "yes")
    autolog.update_model_version("churn", 1, "first")
    autolog.update_registered_model("churn", "churn model")
    model = autolog.get_registered_model("churn")
    assert (model.tags, model.description, model.latest_version) == (
        {"team": "risk", "owner": "ana"},
        "churn model",
        1,
    )
    version = autolog.get_model_version("churn", 1)
    assert (version.tags, version.description, version.run_id) == ({"validated": "yes"}, "first", run_id)
    assert [m.name for m in autolog.search_registered_models("name LIKE 'ch%'")] == ["churn"]
    assert [v.version for v in autolog.search_model_versions("churn")] == [1]
    assert [v.name for v in autolog.search_model_versions(run_id=run_id)] == ["churn"]
    autolog.rename_registered_model("churn", "churn-eu")
    autolog.delete_model_version_tag("churn-eu", 1, "validated")
    autolog.delete_registered_model_tag("churn-eu", "owner")
    autolog.set_registered_model_alias("churn-eu", "champion", 1)
    autolog.delete_registered_model_alias("churn-eu", "champion")
    autolog.delete_model_version("churn-eu", 1)
    autolog.delete_registered_model("churn-eu")
    assert autolog.search_registered_models() == []


def test_register_model_validates_the_uri_the_run_and_the_model(tracking, iris):
    run_id = _run_with_model(tracking, _fitted(iris, 1.0))
    autolog.log_text("not a model", "notes/readme.txt", run_id=run_id)
    for bad_uri in ("model", "models:/x/1", "runs:/", f"runs:/{run_id}", f"runs:/{run_id}/../x"):
        with pytest.raises(InvalidInputError, match="runs:/<run_id>/"):
            tracking.register_model(bad_uri, "iris")
    with pytest.raises(NotFoundError, match="no run"):
        tracking.register_model(f"runs:/{'0' * 32}/model", "iris")
    with pytest.raises(InvalidInputError, match="holds no model.*autolog-model.json"):
        tracking.register_model(f"runs:/{run_id}/notes", "iris")
    with pytest.raises(InvalidInputError, match="holds no model"):
        tracking.register_model(f"runs:/{run_id}/missing", "iris")
    with pytest.raises(InvalidInputError, match="invalid model name 'a/b'"):
        tracking.register_model(f"runs:/{run_id}/model", "a/b")
    assert tracking.search_registered_models() == []  # nothing was written


def test_loading_unknown_or_malformed_registry_uris(tracking, iris):
    run_id = _run_with_model(tracking, _fitted(iris, 1.0))
    tracking.register_model(f"runs:/{run_id}/model", "iris")
    errors = {
        "models:/nope/1": (NotFoundError, "no registered model named 'nope'"),
        "models:/iris/7": (NotFoundError, "'iris' has no version 7"),
        "models:/iris@champion": (NotFoundError, "'iris' has no alias 'champion'"),
        "models:/iris": (InvalidInputError, "malformed model URI"),
        "models:/iris/one": (InvalidInputError, "malformed model URI"),
        "models:/iris@": (InvalidInputError, "malformed model URI"),
        "models:/iris@latest": (InvalidInputError, "'latest' is reserved"),
    }
    for uri, (error, message) in errors.items():
        with pytest.raises(error, match=message):
            autolog.load_model(uri)


def test_models_uri_load_checks_the_sha256(tracking, iris):
    run_id = _run_with_model(tracking, _fitted(iris, 1.0))
    tracking.register_model(f"runs:/{run_id}/model", "iris")
    directory = tracking.store.artifacts(run_id).local_path("model")
    model_file = next(f for f in os.listdir(directory) if f.startswith("model."))
    with open(os.path.join(directory, model_file), "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        autolog.load_model("models:/iris/latest")


def test_deleting_a_registered_run_needs_force(tracking, iris):
    run_id = _run_with_model(tracking, _fitted(iris, 1.0))
    tracking.register_model(f"runs:/{run_id}/model", "iris")
    with pytest.raises(
        ConflictError, match=rf"{run_id} is the source of model version\(s\) iris/1.*force=True"
    ):
        tracking.delete_run(run_id)
    tracking.delete_run(run_id, force=True)
    # The artifact stays: the version still loads.
    assert autolog.load_model("models:/iris/1") is not None


def test_best_grid_search_run_registered_as_champion_loads_in_another_process(tmp_path):
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(tmp_path / "store"), "PYTHONPATH": REPO}
    train = subprocess.run(
        [sys.executable, EXAMPLE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert train.returncode == 0, train.stderr
    assert "registered breast-cancer version 1; champion -> 1" in train.stdout
    best_run = train.stdout.split("best run ", 1)[1].split(":", 1)[0]

    predict = subprocess.run(
        [sys.executable, EXAMPLE, "predict"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert predict.returncode == 0, predict.stderr
    assert f"loaded models:/breast-cancer@champion = version 1 (run {best_run})" in predict.stdout
    accuracy = float(predict.stdout.rsplit("test accuracy ", 1)[1])
    assert accuracy > 0.9

    # The same predictions as loading the run's own model directly.
    check = (
        "import autolog, numpy as np; from sklearn.datasets import load_breast_cancer;"
        "X, _ = load_breast_cancer(return_X_y=True);"
        f"a = autolog.load_model('models:/breast-cancer@champion').predict(X);"
        f"b = autolog.load_model('runs:/{best_run}/model').predict(X);"
        "print(bool((a == b).all()))"
    )
    same = subprocess.run(
        [sys.executable, "-c", check], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert same.stdout.strip() == "True", same.stderr
