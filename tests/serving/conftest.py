"""A store holding a model of every flavor, and real ``autolog models serve`` processes on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import autolog
from tests.serving._models import LOGGERS, iris_frame

REPO_ROOT = Path(__file__).resolve().parents[2]
AUTOLOG = [sys.executable, "-m", "autolog.cli"]
START_TIMEOUT_S = 120


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_env(store: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG_")}
    env.update(
        AUTOLOG_TRACKING_URI=str(store),
        KERAS_BACKEND="torch",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def start_server(store: Path, model_uri: str, log: Path, *extra: str) -> Server:
    """Start ``autolog models serve`` (not waiting for it)."""
    port = free_port()
    handle = open(log, "wb")
    process = subprocess.Popen(
        [*AUTOLOG, "models", "serve", model_uri, "--port", str(port), *extra],
        env=serving_env(store),
        cwd=store.parent,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return Server(process, f"http://127.0.0.1:{port}", log)


def wait_ready(server: Server) -> Server:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.url + "/ping", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"the server did not answer /ping in {START_TIMEOUT_S} s:\n{server.output()}")


@pytest.fixture(scope="session")
def serving_store(tmp_path_factory) -> dict:
    """``{"store": path, "runs": {flavor: run_id}}``; the sklearn model registered as iris@champion."""
    store = tmp_path_factory.mktemp("serving") / "store"
    os.environ.setdefault("KERAS_BACKEND", "torch")
    autolog.set_tracking_uri(str(store))
    try:
        X, y = iris_frame()
        runs = {flavor: log(X, y) for flavor, log in LOGGERS.items()}
        version = autolog.register_model(f"runs:/{runs['sklearn']}/model", "iris")
        autolog.set_registered_model_alias("iris", "champion", version.version)
    finally:
        autolog.set_tracking_uri(None)
    return {"store": store, "runs": runs}


@pytest.fixture(scope="session")
def flavor_servers(serving_store, tmp_path_factory) -> dict:
    """One real server per flavor, started together (the sklearn one serves models:/iris@champion)."""
    logs = tmp_path_factory.mktemp("serving-logs")
    uris = {flavor: f"runs:/{run_id}/model" for flavor, run_id in serving_store["runs"].items()}
    uris["sklearn"] = "models:/iris@champion"
    servers = {
        flavor: start_server(serving_store["store"], uri, logs / f"{flavor}.log", "--max-rows", "200")
        for flavor, uri in uris.items()
    }
    try:
        yield {flavor: wait_ready(server) for flavor, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
