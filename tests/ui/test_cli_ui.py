"""`autolog ui` as a real process: address, Ctrl-C, busy port, non-loopback warning."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request

from tests.ui._server import UiProcess


def test_serves_prints_address_and_stops_on_ctrl_c(populated):
    server = UiProcess(populated.uri)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url + "/") as response:
            assert response.status == 200 and b"iris" in response.read()
    finally:
        code, out, err = server.stop()
    assert code == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_busy_port_is_one_clear_line(populated):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "autolog.cli", "--store", populated.uri, "ui", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0] and str(port) in lines[0]


def test_binding_elsewhere_needs_insecure_no_auth_and_warns(populated):
    server = UiProcess(populated.uri, "--host", "0.0.0.0", "--insecure-no-auth")
    code, _, err = server.stop()
    assert "warning" in err and "0.0.0.0" in err and "WITHOUT authentication" in err
    assert code == 0
