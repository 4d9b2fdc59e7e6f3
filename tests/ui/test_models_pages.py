"""The model registry pages and API of the UI, through Starlette's TestClient."""

from __future__ import annotations

import pytest

from tests.ui.conftest import XSS

TOKEN = "test-token"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A store with two runs holding models, registered as churn v1 (champion) and v2."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import autolog

    uri = str(tmp_path_factory.mktemp("ui-models") / "store")
    client = autolog.Client(uri)
    X, y = load_iris(return_X_y=True)
    run_ids = []
    autolog.set_tracking_uri(uri)
    try:
        for i, C in enumerate((0.1, 1.0)):
            run_id = client.create_run("0", run_name=f"lr-{i}").info.run_id
            client.log_metric(run_id, "accuracy", 0.9 + i / 100)
            client.log_metric(run_id, "loss", 0.3)
            autolog.log_model(LogisticRegression(C=C, max_iter=300).fit(X, y), "model", run_id=run_id)
            client.set_terminated(run_id)
            run_ids.append(run_id)
            client.register_model(f"runs:/{run_id}/model", "churn", description=XSS if i else None)
    finally:
        autolog.set_tracking_uri(None)
    client.set_registered_model_alias("churn", "champion", 1)
    client.create_registered_model("empty model")
    return uri, run_ids


@pytest.fixture
def http(registry):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    with TestClient(create_app(registry[0], csrf_token=TOKEN), base_url="http://127.0.0.1:5000") as client:
        yield client


def _write(http, path, body, token=TOKEN):
    headers = {"X-CSRF-Token": token} if token else {}
    return http.post(path, json=body, headers=headers)


def test_models_page_lists_names_latest_versions_and_aliases(http):
    page = http.get("/models")
    assert page.status_code == 200
    assert '<a href="/models/churn">churn</a>' in page.text
    assert '<a href="/models/churn#v2">v2</a>' in page.text
    assert "champion" in page.text and "empty model" in page.text
    assert 'href="/models/empty%20model"' in page.text
    assert '<a href="/models">Models</a>' in http.get("/").text  # navigation
    assert "churn" not in http.get("/models?q=empty").text.split("<table", 1)[-1]


def test_model_page_versions_source_runs_metrics_and_aliases(http, registry):
    _, run_ids = registry
    page = http.get("/models/churn")
    assert page.status_code == 200
    for run_id in run_ids:
        assert f'href="/runs/{run_id}"' in page.text
    assert 'id="version-metrics"' in page.text and "accuracy" in page.text
    assert 'data-alias="champion"' in page.text and "models:/churn@champion" in page.text
    assert XSS not in page.text and "&lt;script&gt;" in page.text  # the description is escaped
    assert '<script src="/static/models.js"></script>' in page.text
    assert "<script>" not in page.text.replace('<script src="/static/models.js"></script>', "")
    assert http.get("/models/empty%20model").status_code == 200
    assert http.get("/models/nope").status_code == 404


def test_run_page_links_to_versions_made_from_it(http, registry):
    page = http.get(f"/runs/{registry[1][0]}")
    assert 'id="registered-versions"' in page.text
    assert '<a href="/models/churn#v1">v1</a>' in page.text


def test_api_lists_and_shows_models(http):
    models = http.get("/api/models").json()["models"]
    assert [m["name"] for m in models] == ["churn", "empty model"]
    churn = http.get("/api/models/churn").json()
    assert churn["aliases"] == {"champion": 1}
    assert [v["version"] for v in churn["versions"]] == [2, 1]
    assert churn["versions"][0]["load"] == 'autolog.load_model("models:/churn/2")'
    assert http.get("/api/models/nope").status_code == 404
    assert any(e["path"] == "/api/models/{name}/aliases" for e in http.get("/api/endpoints").json())


def test_alias_writes_need_json_and_the_csrf_token(http):
    assert (
        _write(http, "/api/models/churn/aliases", {"alias": "staging", "version": 2}, token=None).status_code
        == 403
    )
    assert (
        _write(
            http, "/api/models/churn/aliases", {"alias": "staging", "version": 2}, token="wrong"
        ).status_code
        == 403
    )
    form = http.post(
        "/api/models/churn/aliases",
        data={"alias": "staging", "version": "2"},
        headers={"X-CSRF-Token": TOKEN},
    )
    assert form.status_code == 415
    cross_site = http.post(
        "/api/models/churn/aliases",
        json={"alias": "staging", "version": 2},
        headers={"X-CSRF-Token": TOKEN, "Origin": "http://evil.example"},
    )
    assert cross_site.status_code == 403
    assert http.get("/api/models/churn").json()["aliases"] == {"champion": 1}


def test_alias_set_move_delete_and_errors(http):
    done = _write(http, "/api/models/churn/aliases", {"alias": "staging", "version": 2})
    assert done.json() == {"name": "churn", "alias": "staging", "version": 2}
    assert (
        _write(http, "/api/models/churn/aliases", {"alias": "staging", "version": "1"}).json()["version"] == 1
    )
    assert _write(http, "/api/models/churn/aliases/delete", {"alias": "staging"}).status_code == 200
    assert http.get("/api/models/churn").json()["aliases"] == {"champion": 1}
    bad = _write(http, "/api/models/churn/aliases", {"alias": "latest", "version": 1})
    assert bad.status_code == 400 and "reserved" in bad.json()["error"]
    assert _write(http, "/api/models/churn/aliases", {"alias": "x", "version": 9}).status_code == 404
    assert _write(http, "/api/models/churn/aliases", {"alias": "x", "version": [1]}).status_code == 400
    assert _write(http, "/api/models/churn/aliases/delete", {"alias": "nope"}).status_code == 404
    assert _write(http, "/api/models/nope/aliases", {"alias": "x", "version": 1}).status_code == 404
