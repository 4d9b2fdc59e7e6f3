"""Finding 6: secrets on the command line or in tracked secret files are not saved into runs.

The attack (a leak, really): ``python train.py --db-password=hunter2 --token ghp_...`` stored the
argv verbatim in ``autolog.source.argv`` (shown by the UI), and the dirty-checkout patch
``code/git_diff.patch`` included a changed, tracked ``.env``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from autolog import Client
from autolog._core._redact import redact_argv

SECRETS = ("hunter2", "ghp_abcdef123", "s3cr3tkey", "pw-in-url", "tok-in-query")

SCRIPT = textwrap.dedent("""
    import sys
    import autolog
    from sklearn.linear_model import LogisticRegression

    options = dict(log_argv=False, log_git_diff=False) if "--off" in sys.argv else {}
    autolog.autolog(**options)
    LogisticRegression(max_iter=50).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
""")
ARGV = [
    "--db-password=hunter2",
    "--token",
    "ghp_abcdef123",
    "--API_KEY",
    "s3cr3tkey",
    "--db",
    "postgresql://bob:pw-in-url@db/x",
    "--url=https://h/x?access_token=tok-in-query",
    "--epochs",
    "3",
]


def test_redact_argv():
    assert redact_argv(["train.py", *ARGV]) == [
        "train.py",
        "--db-password=***",
        "--token",
        "***",
        "--API_KEY",
        "***",
        "--db",
        "postgresql://bob:***@db/x",
        "--url=https://h/x?access_token=***",
        "--epochs",
        "3",
    ]
    assert redact_argv(["--aws-secret-access-key=x", "--credentials", "c", "--password", "--verbose"]) == [
        "--aws-secret-access-key=***",
        "--credentials",
        "***",
        "--password",
        "--verbose",
    ]
    assert redact_argv(["--keys-file", "k.txt", "--passes=3"]) == ["--keys-file", "***", "--passes=***"]


def _git(repo, *args):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def dirty_checkout(tmp_path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "train.py").write_text(SCRIPT)
    (repo / ".env").write_text("DB_PASSWORD=old\n")
    (repo / "config").mkdir()
    (repo / "config" / "db_credentials.yaml").write_text("password: old\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    (repo / "train.py").write_text(SCRIPT + "# tuned\n")
    (repo / ".env").write_text("DB_PASSWORD=hunter2\n")
    (repo / "config" / "db_credentials.yaml").write_text("password: hunter2\n")
    return repo


def _train(repo, store, *extra):
    env = {**os.environ, "AUTOLOG_TRACKING_URI": str(store)}
    env.pop("AUTOLOG_STRICT", None)
    result = subprocess.run(
        [sys.executable, "train.py", *ARGV, *extra],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    (run,) = Client(str(store)).search_runs(["0"])
    return run


def test_argv_and_patch_are_recorded_without_secrets(dirty_checkout, tmp_path):
    store = tmp_path / "store"
    run = _train(dirty_checkout, store)
    argv = json.loads(run.data.tags["autolog.source.argv"])
    assert "--epochs" in argv and "--db-password=***" in argv
    client = Client(str(store))
    patch_path = client.download_artifacts(run.info.run_id, "code/git_diff.patch", str(tmp_path / "dl"))
    with open(patch_path) as handle:
        patch = handle.read()
    assert "# tuned" in patch and ".env" not in patch and "db_credentials" not in patch
    everything = json.dumps(run.data.tags) + json.dumps(run.data.params) + patch
    for secret in SECRETS:
        assert secret not in everything, secret


def test_log_argv_and_log_git_diff_can_be_turned_off(dirty_checkout, tmp_path):
    store = tmp_path / "store"
    run = _train(dirty_checkout, store, "--off")
    assert "autolog.source.argv" not in run.data.tags
    assert run.data.tags["autolog.git.dirty"] == "true"  # the commit and dirty flag stay
    assert "autolog.git.diff_artifact" not in run.data.tags
    assert Client(str(store)).list_artifacts(run.info.run_id, "code") == []
