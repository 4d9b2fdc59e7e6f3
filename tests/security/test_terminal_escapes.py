"""Finding 8: names and values reach the terminal with control characters escaped.

The attack: a run named ``ok\\x1b]0;PWNED\\x07`` (an OSC sequence that sets the terminal's title;
others rewrite what is on screen) printed raw by ``autolog runs list`` / ``runs show``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from autolog import Client

EVIL_NAME = "ok\x1b]0;PWNED\x07\x1b[2J\r\u202efdp.exe"


def _cli(store, *args):
    return subprocess.run(
        [sys.executable, "-m", "autolog.cli", "--store", store, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    uri = str(tmp_path_factory.mktemp("escapes") / "store")
    client = Client(uri)
    run = client.create_run(
        "0", run_name=EVIL_NAME, params={"p": "v\x1b]8;;http://x\x07"}, tags={"t": "\x9b31m"}
    )
    client.set_terminated(run.info.run_id)
    return uri, run.info.run_id


@pytest.mark.parametrize("command", [("runs", "list", "--experiment", "0"), ("runs", "show", "RUN")])
def test_control_characters_are_shown_escaped(store, command):
    uri, run_id = store
    result = _cli(uri, *[run_id if part == "RUN" else part for part in command])
    assert result.returncode == 0, result.stderr
    for raw in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
        assert raw not in result.stdout, repr(raw)
    assert "ok\\x1b]0;PWNED\\x07" in result.stdout


def test_errors_are_escaped_too(store):
    uri, _ = store
    result = _cli(uri, "runs", "show", "\x1b]0;PWNED\x07")
    assert result.returncode != 0 and "\x1b" not in result.stderr and "\\x1b" in result.stderr


def test_json_output_stays_exact(store):
    import json

    uri, run_id = store
    result = _cli(uri, "runs", "show", run_id, "--json")
    assert json.loads(result.stdout)["run_name"] == EVIL_NAME and "\x1b" not in result.stdout
