"""Finding 3: a database password never appears in output, pages, reprs or errors.

Both forms: ``postgresql://alice:S3cret@host/db`` and ``postgresql://alice@host/db?password=S3cret``.
The PostgreSQL case uses a real server whose user has a password.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.parse

import pytest

from autolog import Client
from autolog._core._redact import redact_text, redact_uri
from autolog.exceptions import AutologError
from autolog.store import SqlStore, open_store

PASSWORD = "S3cret-pw"
FORMS = [
    f"postgresql://alice:{PASSWORD}@127.0.0.1:1/db",
    f"postgresql://alice@127.0.0.1:1/db?password={PASSWORD}&sslmode=disable",
    f"postgres://alice:{PASSWORD}@127.0.0.1:1/db",
]


@pytest.mark.parametrize("uri", FORMS)
def test_reprs_and_connection_errors_hide_the_password(uri):
    client = Client(uri)
    assert PASSWORD not in repr(client)
    store = open_store(uri, "/tmp/artifacts")
    assert PASSWORD not in repr(store) and "alice" in repr(store)
    with pytest.raises(AutologError) as raised:  # nothing listens on port 1
        store.get_experiment("0")
    assert PASSWORD not in str(raised.value) and "cannot open the store" in str(raised.value)


@pytest.mark.parametrize(
    "uri", [f"mysql://alice:{PASSWORD}@host/db", f"ftp://alice:{PASSWORD}@host/x?token=abc"]
)
def test_unsupported_scheme_errors_hide_the_password(uri):
    for attempt in (lambda: Client(uri), lambda: open_store(uri), lambda: SqlStore(uri, "/tmp/a")):
        with pytest.raises(AutologError) as raised:
            attempt()
        assert PASSWORD not in str(raised.value) and "abc" not in str(raised.value)


def test_redaction_of_text():
    assert redact_uri(f"postgresql://alice:{PASSWORD}@h/db") == "postgresql://alice:***@h/db"
    assert (
        redact_uri(f"postgresql://h/db?user=a&password={PASSWORD}") == "postgresql://h/db?user=a&password=***"
    )
    message = f"failed for postgresql+psycopg://a:{PASSWORD}@h/db and https://ghp_abc@github.com/x"
    assert PASSWORD not in redact_text(message) and "ghp_abc" not in redact_text(message)
    assert redact_uri("/home/me/store") == "/home/me/store"


def _cli(*args, env_uri):
    import os

    env = {**os.environ, "AUTOLOG_TRACKING_URI": env_uri}
    return subprocess.run(
        [sys.executable, "-m", "autolog.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("uri", FORMS[:2])
def test_cli_errors_hide_the_password(uri):
    result = _cli("runs", "list", env_uri=uri)
    assert result.returncode != 0
    assert PASSWORD not in result.stdout + result.stderr and "autolog: error:" in result.stderr


@pytest.fixture
def password_uri(postgres_server, fresh_postgres_uri):
    """A database URI of a real PostgreSQL user with a password, in both forms."""
    import psycopg

    with psycopg.connect(fresh_postgres_uri, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = 'alice'").fetchone()
        verb = "ALTER" if exists else "CREATE"
        connection.execute(f"{verb} ROLE alice LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    parsed = urllib.parse.urlsplit(fresh_postgres_uri)
    host = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
    return (
        f"postgresql://alice:{PASSWORD}@{host}{parsed.path}",
        f"postgresql://alice@{host}{parsed.path}?password={PASSWORD}",
    )


def test_ui_pages_and_startup_output_hide_the_password_of_a_real_postgres(password_uri, tmp_path):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    for uri in password_uri:
        client = Client(uri, str(tmp_path / "artifacts"))
        run_id = client.create_run("0", run_name="r").info.run_id
        assert PASSWORD not in repr(client) + repr(client.store)
        app = create_app(uri, artifact_root=str(tmp_path / "artifacts"), csrf_token="t")
        with TestClient(app, base_url="http://127.0.0.1:5000") as http:
            for path in ("/", f"/runs/{run_id}", "/no-such-page", "/api/runs/" + "f" * 32):
                page = http.get(path)
                assert PASSWORD not in page.text, path
        client.store.close()


def test_ui_startup_output_hides_the_password(password_uri, tmp_path):
    import os
    import signal

    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "AUTOLOG_TRACKING_URI": password_uri[1],
        "AUTOLOG_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "autolog.cli", "ui", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = [process.stdout.readline() for _ in range(2)]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    text = "".join(lines) + out + err
    assert "Serving at" in text and "alice" in text
    assert PASSWORD not in text
