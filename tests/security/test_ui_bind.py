"""Finding 9: ``autolog ui`` beyond loopback refuses to start without authentication.

The attack: ``autolog ui --host 0.0.0.0`` only warned; any machine on the network could read the
store and, since an IP-address Host header received the CSRF token, move model aliases.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from autolog.ui._server import UnauthenticatedBindError, serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_serve_refuses_a_non_loopback_host(tmp_path, host):
    with pytest.raises(UnauthenticatedBindError, match="autolog server"):
        serve(str(tmp_path / "store"), host=host, port=0)


def test_cli_refuses_with_one_line_saying_how_and_listens_nowhere(tmp_path):
    port = _free_port()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "autolog.cli",
            "--store",
            str(tmp_path / "store"),
            "ui",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve the UI on 0.0.0.0" in lines[0]
    assert "autolog server" in lines[0] and "--insecure-no-auth" in lines[0]
    with socket.socket() as probe:  # nothing was left listening
        assert probe.connect_ex(("127.0.0.1", port)) != 0
