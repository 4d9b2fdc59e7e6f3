"""Finding 5: a run's artifact folder (or a model file) replaced by a symlink escapes nothing.

Symlinks inside a run were refused, but when the run's own ``artifacts`` folder was a symlink to
another directory (``/etc`` in the review; a directory with a ``passwd`` file here) the UI listed
and served it and ``download_artifacts`` copied from it; ``load_model`` followed a symlinked
``model.pkl`` pointing outside the run. Confinement is now anchored at the store's artifact root
and no component is followed.
"""

from __future__ import annotations

import os
import shutil

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog import Client
from autolog.exceptions import InvalidInputError, ModelIntegrityError
from autolog.models import load_input_example, load_model, log_model

SECRET = "root:x:0:0:SECRET-OUTSIDE-THE-STORE"


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        uri, root = str(tmp_path / "store"), None
    else:
        uri, root = request.getfixturevalue("fresh_postgres_uri"), str(tmp_path / "artifacts")
        monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", root)
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", uri)
    return Client(uri, root)


@pytest.fixture
def outside(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(SECRET)
    return etc


def _replace_with_symlink(path, target):
    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    os.symlink(target, path)


@pytest.mark.parametrize("level", ["run artifacts folder", "run folder", "experiment folder"])
def test_a_symlinked_run_folder_is_neither_listed_nor_copied(client, outside, tmp_path, level):
    experiment_id = client.create_experiment("e")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "mine", "notes.txt")
    root = client.store.artifacts(run_id).local_path("")
    victim = {
        "run artifacts folder": root,
        "run folder": os.path.dirname(root),
        "experiment folder": os.path.dirname(os.path.dirname(root)),
    }[level]
    if level != "run artifacts folder":  # make the target look like the run's layout
        shutil.copytree(outside, tmp_path / "fake" / run_id / "artifacts")
        target = tmp_path / "fake" if level == "experiment folder" else tmp_path / "fake" / run_id
    else:
        target = outside
    _replace_with_symlink(victim, target)
    with pytest.raises(InvalidInputError, match="symlink"):
        client.list_artifacts(run_id)
    with pytest.raises(InvalidInputError, match="symlink"):
        client.download_artifacts(run_id, "passwd", str(tmp_path / "copy"))
    assert not (tmp_path / "copy" / "passwd").exists()
    _ui_refuses(client, run_id)


def _ui_refuses(client, run_id):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    app = create_app(client.tracking_uri, artifact_root=client.store.artifact_root, csrf_token="t")
    with TestClient(app, base_url="http://127.0.0.1:5000") as http:
        for path in (
            f"/runs/{run_id}/artifacts",
            f"/runs/{run_id}/artifacts?path=passwd",
            f"/runs/{run_id}/artifacts/download?path=passwd",
            f"/runs/{run_id}",
            f"/api/runs/{run_id}/artifacts",
        ):
            response = http.get(path)
            assert SECRET not in response.text and response.status_code < 500, path


def _logged_model(client):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    with autolog.start_run() as run:
        info = log_model(model, "model", input_example=X[:3])
    return info.model_uri, client.store.artifacts(run.info.run_id).local_path("model")


def test_a_symlinked_model_file_is_not_loaded(client, tmp_path):
    uri, directory = _logged_model(client)
    elsewhere = tmp_path / "elsewhere.pkl"
    shutil.copy(os.path.join(directory, "model.pkl"), elsewhere)  # same bytes, same sha256
    _replace_with_symlink(os.path.join(directory, "model.pkl"), elsewhere)
    with pytest.raises(ModelIntegrityError, match="symlink"):
        load_model(uri)
    with pytest.raises(ModelIntegrityError, match="symlink"):
        load_model(directory)


def test_a_symlinked_model_directory_metadata_or_input_example_is_refused(client, tmp_path):
    uri, directory = _logged_model(client)
    example = os.path.join(directory, "input_example.json")
    shutil.copy(example, tmp_path / "example.json")
    _replace_with_symlink(example, tmp_path / "example.json")
    with pytest.raises(InvalidInputError, match="symlink"):
        load_input_example(uri)
    metadata = os.path.join(directory, "autolog-model.json")
    shutil.copy(metadata, tmp_path / "metadata.json")
    _replace_with_symlink(metadata, tmp_path / "metadata.json")
    with pytest.raises(InvalidInputError, match="symlink"):
        load_model(uri)
    shutil.copytree(directory, tmp_path / "model-copy", symlinks=False)
    _replace_with_symlink(directory, tmp_path / "model-copy")
    with pytest.raises(InvalidInputError, match="symlink"):
        load_model(uri)
