"""Real tracking servers for tests: in a thread of this process (fast, one per test) or as an
``autolog server`` subprocess with uvicorn workers (the multi-process tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, timeout_s: float = 60.0, process=None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=2).read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no server answered at {url}")


class ThreadServer:
    """``create_server_app`` served by uvicorn in a daemon thread on a free loopback port."""

    def __init__(self, backend_uri: str, artifact_root: str | None = None, **options):
        import uvicorn

        from autolog.server import ServerOptions, create_server_app

        self.app = create_server_app(ServerOptions(backend_uri, artifact_root, **options))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="error", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        self._sock = sock
        wait_until_healthy(self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # do not wait for the clients' keep-alive connections
        self.thread.join(10)
        self._sock.close()
        self.app.state.store.close()


class ServerProcess:
    """``autolog server --workers N`` as a subprocess on a fixed free port."""

    def __init__(self, backend_uri: str, *extra: str, workers: int = 2, port: int | None = None, env=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable,
            "-m",
            "autolog.cli",
            "server",
            "--backend-store-uri",
            backend_uri,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            *extra,
        ]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            start_new_session=True,
        )
        wait_until_healthy(self.url, process=self.process)

    def kill(self) -> None:
        """SIGKILL the server and its workers (a crash, not a shutdown)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.stdout.read() if self.process.stdout else ""
