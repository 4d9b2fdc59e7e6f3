"""What the model server refuses: a tampered model, an open port beyond loopback, a missing token;
and what it finishes: requests in flight when SIGTERM arrives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import httpx
import pytest

import autolog
from autolog.models import log_model, read_metadata
from tests.serving._slow_model import SlowModel
from tests.serving.conftest import AUTOLOG, serving_env, start_server, wait_ready


def run_cli(store, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AUTOLOG, *args],
        env=serving_env(store),
        cwd=store.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def tampered_store(tmp_path):
    """A store whose logged model file was changed after it was saved."""
    store = tmp_path / "store"
    autolog.set_tracking_uri(str(store))
    try:
        from sklearn.linear_model import LogisticRegression

        with autolog.start_run() as run:
            info = log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), "model")
        directory = autolog.get_store().artifacts(run.info.run_id).local_path("model")
    finally:
        autolog.set_tracking_uri(None)
    model_file = os.path.join(directory, read_metadata(directory).model_file)
    with open(model_file, "ab") as f:
        f.write(b"tampered")
    return store, info.model_uri


def test_a_tampered_model_never_serves(tampered_store):
    store, model_uri = tampered_store
    result = run_cli(store, "models", "serve", model_uri, "--port", "1")  # never gets to bind
    assert result.returncode == 1
    assert "sha256" in result.stderr and "refusing to load it" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_tampered_model_is_not_scored_either(tampered_store, tmp_path):
    store, model_uri = tampered_store
    (tmp_path / "in.csv").write_text("x0\n1.0\n")
    result = run_cli(store, "models", "predict", model_uri, "-i", str(tmp_path / "in.csv"))
    assert result.returncode == 1 and "sha256" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_beyond_loopback_without_a_token_refuses_before_binding(serving_store, host):
    uri = f"runs:/{serving_store['runs']['sklearn']}/model"
    result = run_cli(serving_store["store"], "models", "serve", uri, "--host", host)
    assert result.returncode == 1
    assert f"refusing to serve on {host} without authentication" in result.stderr
    assert "--token-file" in result.stderr


def test_with_a_token_every_route_but_ping_needs_it(serving_store, tmp_path):
    token = "s3cret-token-" + "x" * 20
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    server = wait_ready(
        start_server(
            serving_store["store"],
            f"runs:/{serving_store['runs']['sklearn']}/model",
            tmp_path / "server.log",
            "--token-file",
            str(token_file),
        )
    )
    try:
        body = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2]]})
        headers = {"Content-Type": "application/json"}
        assert httpx.post(server.url + "/invocations", content=body, headers=headers).status_code == 401
        wrong = {**headers, "Authorization": "Bearer " + "y" * 33}
        assert httpx.post(server.url + "/invocations", content=body, headers=wrong).status_code == 401
        assert httpx.get(server.url + "/health").status_code == 401
        right = {**headers, "Authorization": f"Bearer {token}"}
        assert httpx.post(server.url + "/invocations", content=body, headers=right).json() == {
            "predictions": [0]
        }
        assert httpx.get(server.url + "/ping").status_code == 200
    finally:
        server.stop()
    assert token not in server.output()


def test_a_short_token_is_refused(serving_store, tmp_path):
    (tmp_path / "token").write_text("short\n")
    uri = f"runs:/{serving_store['runs']['sklearn']}/model"
    result = run_cli(serving_store["store"], "models", "serve", uri, "--token-file", str(tmp_path / "token"))
    assert result.returncode == 1 and "shorter than 16 characters" in result.stderr


@pytest.mark.slow
def test_sigterm_finishes_the_requests_in_flight(tmp_path):
    store = tmp_path / "store"
    started = tmp_path / "started"
    started.mkdir()
    autolog.set_tracking_uri(str(store))
    try:
        with autolog.start_run() as run:
            log_model(SlowModel(1.5, started_dir=str(started)), "model", signature=False)
    finally:
        autolog.set_tracking_uri(None)
    server = wait_ready(start_server(store, f"runs:/{run.info.run_id}/model", tmp_path / "server.log"))
    answers = []

    def client() -> None:
        answers.append(
            httpx.post(server.url + "/invocations", json={"instances": [[1.0], [2.0]]}, timeout=60)
        )

    before = len(os.listdir(started))  # loading may have called predict already
    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(os.listdir(started)) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.02)  # until all three requests are inside predict
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(answer.json() == {"predictions": [0.0, 0.0]} for answer in answers)
    # uvicorn re-raises the signal once the requests are done: the exit status says "terminated".
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Traceback" not in server.output()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/ping", timeout=2)
