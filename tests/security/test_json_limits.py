"""Finding 7: deeply nested or huge JSON gives a clear message, never a 500 or a huge read.

The attack: 100,000 ``[`` as a JSON artifact or as a model's ``autolog-model.json`` raised
RecursionError (HTTP 500) in the UI and in load_model; a 400 MB metadata file was read whole.
"""

from __future__ import annotations

import os

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog import Client
from autolog._core._json import MAX_METADATA_BYTES
from autolog.exceptions import InvalidInputError
from autolog.models import load_input_example, load_model, log_model

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A run with a model, and a second run to diff against; a TestClient on the UI."""
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    store = str(tmp_path / "store")
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", store)
    X, y = load_iris(return_X_y=True)
    with autolog.start_run() as run:
        info = log_model(LogisticRegression(max_iter=200).fit(X, y), "model", input_example=X[:2])
    with autolog.start_run() as other:
        pass
    client = Client(store)
    directory = client.store.artifacts(run.info.run_id).local_path("model")
    with TestClient(create_app(store, csrf_token="t"), base_url="http://127.0.0.1:5000") as http:
        yield http, client, run.info.run_id, other.info.run_id, info.model_uri, directory


def _pages(http, run_id, other_id):
    return {
        path: http.get(path)
        for path in (
            f"/runs/{run_id}",
            f"/api/runs/{run_id}/models",
            f"/diff?a={other_id}&b={run_id}",
            f"/api/diff?a={other_id}&b={run_id}",
        )
    }


def test_a_deeply_nested_json_artifact_is_shown_as_text_with_a_note(site):
    http, client, run_id, _other, _uri, _dir = site
    client.log_text(run_id, DEEP, "deep.json")
    page = http.get(f"/runs/{run_id}/artifacts", params={"path": "deep.json"})
    assert page.status_code == 200 and "nested more than 100 levels" in page.text


def test_deeply_nested_model_metadata_is_refused_clearly(site):
    http, _client, run_id, other_id, uri, directory = site
    with open(os.path.join(directory, "autolog-model.json"), "w") as handle:
        handle.write('{"flavor": ' + DEEP + "}")
    for path, response in _pages(http, run_id, other_id).items():
        assert response.status_code == 200, path
    assert "nested more than 100 levels" in http.get(f"/runs/{run_id}").text
    # through the directory: by runs:/ the artifact record already refuses the changed file
    with pytest.raises(InvalidInputError, match="nested more than 100 levels"):
        load_model(directory)


def test_huge_model_metadata_is_not_read_whole(site):
    http, _client, run_id, other_id, uri, directory = site
    with open(os.path.join(directory, "autolog-model.json"), "w") as handle:
        handle.write('{"flavor": "' + "x" * (MAX_METADATA_BYTES + 10) + '"}')
    for path, response in _pages(http, run_id, other_id).items():
        assert response.status_code == 200, path
    assert "larger than 4 MB" in http.get(f"/runs/{run_id}").text
    with pytest.raises(InvalidInputError, match="larger than 4 MB"):
        load_model(directory)


def test_deep_input_example_and_columns_tag(site):
    http, client, run_id, other_id, uri, directory = site
    with open(os.path.join(directory, "input_example.json"), "w") as handle:
        handle.write(DEEP)
    with pytest.raises(InvalidInputError, match="nested more than 100 levels"):
        load_input_example(uri)
    client.set_tag(run_id, "autolog.data.columns", "[" * 4000 + "]" * 4000)
    client.set_tag(run_id, "autolog.data.digest", "d")
    assert http.get(f"/diff?a={other_id}&b={run_id}").status_code == 200
