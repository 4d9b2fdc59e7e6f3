"""``autolog models serve``: real server processes on 127.0.0.1, every flavor, MLflow's formats."""

from __future__ import annotations

import json
import signal
import threading

import httpx
import numpy as np
import pytest

import autolog
from tests.serving._models import FEATURES, iris_frame
from tests.serving.conftest import start_server, wait_ready

X, y = iris_frame()
ROWS = X.iloc[::15]  # 10 rows across the three classes


def expected_predictions(flavor: str, model) -> np.ndarray:
    """What the loaded model itself predicts on ROWS, called the framework's own way."""
    if flavor == "xgboost":
        import xgboost

        return model.predict(xgboost.DMatrix(ROWS))
    if flavor == "keras":
        return model.predict(ROWS.to_numpy("float32"), verbose=0)
    if flavor == "pytorch":
        import torch

        with torch.no_grad():
            return model(torch.as_tensor(ROWS.to_numpy("float32"))).numpy()
    return model.predict(ROWS)


def invoke(server, body, *, params=None, content_type="application/json") -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(
        server.url + "/invocations",
        content=content,
        params=params,
        headers={"Content-Type": content_type},
        timeout=60,
    )


@pytest.mark.parametrize("flavor", ["sklearn", "xgboost", "lightgbm", "keras", "pytorch"])
def test_each_flavor_serves_what_load_model_predicts(flavor, flavor_servers, serving_store, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    autolog.set_tracking_uri(str(serving_store["store"]))
    try:
        model = autolog.load_model(f"runs:/{serving_store['runs'][flavor]}/model")
    finally:
        autolog.set_tracking_uri(None)
    response = invoke(flavor_servers[flavor], {"dataframe_split": ROWS.to_dict(orient="split")})
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(response.json()["predictions"], expected_predictions(flavor, model), rtol=1e-6)


@pytest.mark.parametrize("form", ["dataframe_split", "dataframe_records", "instances", "inputs", "csv"])
def test_every_mlflow_request_format_gives_the_same_predictions(form, flavor_servers):
    server = flavor_servers["sklearn"]
    bodies = {
        "dataframe_split": {"dataframe_split": {"columns": FEATURES, "data": ROWS.values.tolist()}},
        "dataframe_records": {"dataframe_records": ROWS.to_dict(orient="records")},
        "instances": {"instances": ROWS.values.tolist()},
        "inputs": {"inputs": ROWS.to_dict(orient="list")},
    }
    if form == "csv":
        response = invoke(server, ROWS.to_csv(index=False), content_type="text/csv")
    else:
        response = invoke(server, bodies[form])
    assert response.status_code == 200, response.text
    reference = invoke(server, bodies["dataframe_split"]).json()["predictions"]
    assert response.json()["predictions"] == reference
    assert sorted(set(reference)) == [0, 1, 2]


def test_columns_are_taken_by_name_whatever_their_order(flavor_servers):
    server = flavor_servers["sklearn"]
    reversed_columns = ROWS[FEATURES[::-1]]
    response = invoke(server, {"dataframe_split": reversed_columns.to_dict(orient="split")})
    straight = invoke(server, {"dataframe_split": ROWS.to_dict(orient="split")})
    assert response.json() == straight.json()


def test_another_method_by_query_or_json_field(flavor_servers):
    server = flavor_servers["sklearn"]
    body = {"dataframe_split": ROWS.to_dict(orient="split")}
    by_query = invoke(server, body, params={"method": "predict_proba"})
    by_field = invoke(server, {**body, "method": "predict_proba"})
    assert by_query.status_code == by_field.status_code == 200
    probabilities = np.array(by_query.json()["predictions"])
    assert probabilities.shape == (len(ROWS), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert by_field.json() == by_query.json()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (
            {"dataframe_split": {"columns": FEATURES[:3], "data": [[1, 2, 3]]}},
            "application/json",
            400,
            "missing column(s) 'petal_width'",
        ),
        (
            {"dataframe_records": [{**dict.fromkeys(FEATURES, 1.0), "colour": 1}]},
            "application/json",
            400,
            "unknown column(s) 'colour'",
        ),
        (
            {"dataframe_records": [{**dict.fromkeys(FEATURES, 1.0), "sepal_width": "wide"}]},
            "application/json",
            400,
            "column 'sepal_width' expects float64: row 0 holds 'wide'",
        ),
        ({"instances": [[1.0, 2.0, 3.0]]}, "application/json", 400, "must hold 4 values"),
        ({"rows": []}, "application/json", 400, "exactly one of the keys"),
        (
            {"instances": [[1.0] * 4] * 201},
            "application/json",
            413,
            "201 rows in one request; the limit is 200",
        ),
        (
            {"instances": [[1.0] * 4], "method": "explode"},
            "application/json",
            400,
            "unknown method 'explode'",
        ),
        (b"a,b\n1", "text/plain", 415, "content type 'text/plain' is not accepted"),
    ],
    ids=[
        "malformed-json",
        "missing-column",
        "unknown-column",
        "wrong-dtype",
        "short-row",
        "no-format-key",
        "too-many-rows",
        "unknown-method",
        "wrong-content-type",
    ],
)
def test_a_bad_request_gets_a_4xx_naming_the_problem(flavor_servers, body, content_type, status, message):
    response = invoke(flavor_servers["sklearn"], body, content_type=content_type)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    assert "Traceback" not in response.text


def test_ping_health_and_version(flavor_servers, serving_store):
    server = flavor_servers["sklearn"]
    assert httpx.get(server.url + "/ping").status_code == 200
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["model_uri"] == "models:/iris@champion"
    assert health["flavor"] == "sklearn" and len(health["sha256"]) == 64
    assert health["methods"][:2] == ["predict", "predict_proba"]
    assert [column["name"] for column in health["signature"]["inputs"]] == FEATURES
    assert httpx.get(server.url + "/version").json()["autolog"] == autolog.__version__


def test_access_log_has_one_json_line_per_request(flavor_servers):
    server = flavor_servers["lightgbm"]
    invoke(server, {"instances": ROWS.values.tolist()})
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    entry = next(line for line in reversed(lines) if line["path"] == "/invocations")
    assert entry["method"] == "POST" and entry["status"] == 200 and entry["rows"] == len(ROWS)
    assert entry["latency_ms"] >= 0


def test_oversized_body_is_refused(serving_store, tmp_path):
    server = wait_ready(
        start_server(
            serving_store["store"],
            f"runs:/{serving_store['runs']['sklearn']}/model",
            tmp_path / "server.log",
            "--max-body-mb",
            "0.001",
        )
    )
    try:
        response = invoke(server, {"instances": [[1.0] * 4] * 100})
        assert response.status_code == 413
        assert (
            "limit of 1048 bytes" in response.json()["message"]
            or "limit is 1048" in response.json()["message"]
        )
    finally:
        server.stop()


@pytest.mark.slow
def test_concurrent_clients_on_two_workers(serving_store, tmp_path):
    server = wait_ready(
        start_server(
            serving_store["store"], "models:/iris@champion", tmp_path / "server.log", "--workers", "2"
        )
    )
    try:
        answers = []

        def client() -> None:
            for _ in range(5):
                answers.append(invoke(server, {"instances": ROWS.values.tolist()}).json()["predictions"])

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 40 and all(answer == answers[0] for answer in answers)
    finally:
        server.stop()
    assert server.process.returncode in (0, -signal.SIGTERM), server.output()
