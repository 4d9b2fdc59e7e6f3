"""A real directory store filled through the real Client, and a TestClient on the UI app."""

from __future__ import annotations

import math

import pytest

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ARTIFACT_XSS_NAME = "<img src=x onerror=alert(1)>.txt"


class Populated:
    """Ids of what the fixture store holds."""

    def __init__(self, uri: str):
        self.uri = uri
        self.experiment_id = ""
        self.parent_id = ""
        self.child_ids: list = []
        self.run_ids: list = []
        self.xss_run_id = ""
        self.model_run_id = ""


def _populate(uri: str) -> Populated:
    from autolog import Client

    client = Client(uri)
    out = Populated(uri)
    out.experiment_id = client.create_experiment("iris")
    client.create_experiment("digits")
    parent = client.create_run(out.experiment_id, run_name="search", params={"cv": "3"})
    out.parent_id = parent.info.run_id
    for i in range(6):
        run = client.create_run(
            out.experiment_id,
            run_name=f"lr-{i}",
            parent_run_id=out.parent_id if i < 2 else None,
            params={"C": str(0.1 * (i + 1)), "penalty": "l2" if i % 2 else "l1"},
            tags={
                "autolog.git.commit": "a" * 40 if i < 3 else "b" * 40,
                "autolog.python.version": "3.11.7",
                "autolog.data.digest": "d1" if i < 3 else "d2",
                "autolog.data.shape": "150x4",
                "autolog.data.columns": '["a", "b"]' if i < 3 else '["a", "c"]',
                "team": "vision",
            },
        )
        run_id = run.info.run_id
        for step in range(20):
            client.log_metric(run_id, "loss", math.exp(-step / (3 + i)), step=step)
        client.log_metric(run_id, "accuracy", 0.80 + 0.02 * i)
        client.log_text(run_id, "hello\n", "notes/readme.txt")
        client.log_dict(run_id, {"alpha": 1, "beta": [1, 2]}, "config.json")
        client.log_text(run_id, "x,y\n1,2\n3,4\n", "tables/table.csv")
        client.set_terminated(run_id)
        out.run_ids.append(run_id)
        if i < 2:
            out.child_ids.append(run_id)
    client.set_terminated(out.parent_id)
    out.xss_run_id = _xss_run(client, out.experiment_id)
    out.model_run_id = _model_run(client, out.experiment_id)
    return out


def _xss_run(client, experiment_id: str) -> str:
    run = client.create_run(experiment_id, run_name=XSS, params={"payload": XSS}, tags={"payload": XSS})
    run_id = run.info.run_id
    client.log_metric(run_id, "accuracy", float("nan"))
    client.log_text(run_id, XSS, ARTIFACT_XSS_NAME)
    client.log_text(run_id, "<html><script>alert(1)</script></html>", "page.html")
    client.log_text(run_id, "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "drawing.svg")
    repo = client.store.artifacts(run_id)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    repo.write_bytes("plot.png", png)
    client.set_terminated(run_id)
    return run_id


def _model_run(client, experiment_id: str) -> str:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import autolog

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=200).fit(X, y)
    run = client.create_run(experiment_id, run_name="with-model")
    autolog.set_tracking_uri(client.tracking_uri)
    try:
        autolog.log_model(model, "model", run_id=run.info.run_id)
    finally:
        autolog.set_tracking_uri(None)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


@pytest.fixture(scope="session")
def populated(tmp_path_factory) -> Populated:
    uri = str(tmp_path_factory.mktemp("ui") / "store")
    return _populate(uri)


@pytest.fixture(scope="session")
def app(populated):
    from autolog.ui import create_app

    return create_app(populated.uri, csrf_token="test-token")


@pytest.fixture
def http(app):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1:5000") as client:
        yield client
