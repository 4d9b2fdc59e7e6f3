"""Finding 2: "what changed" never runs git in a folder named by a run tag.

The attack: a crafted repository (a partial clone whose promisor remote uses
``core.sshCommand``) placed in the artifact store and named by two runs' ``autolog.git.repo``
tags. ``git diff A B`` there needs a missing object, lazily fetches it and runs the command;
before the fix a plain GET of ``/diff?a=..&b=..`` (or ``autolog runs diff``) did that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from autolog import Client
from autolog.diff import diff_runs

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo, *args) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def _crafted_repository(path, marker) -> tuple[str, str]:
    """Two commits whose second blob is missing, fetched lazily through a hostile sshCommand."""
    path.mkdir(parents=True)
    _git(path, "init", "-q")
    (path / "f").write_text("one\n")
    _git(path, "add", "f")
    _git(path, "commit", "-qm", "1")
    first = _git(path, "rev-parse", "HEAD")
    (path / "f").write_text("two\n")
    _git(path, "commit", "-qam", "2")
    second = _git(path, "rev-parse", "HEAD")
    blob = _git(path, "rev-parse", f"{second}:f")
    os.remove(path / ".git" / "objects" / blob[:2] / blob[2:])
    for key, value in (
        ("core.repositoryformatversion", "1"),
        ("extensions.partialClone", "origin"),
        ("remote.origin.url", "ssh://example.invalid/x"),
        ("remote.origin.promisor", "true"),
        ("core.sshCommand", f"touch {marker}; false"),
    ):
        _git(path, "config", key, value)
    return first, second


@pytest.fixture
def attack(tmp_path):
    client = Client(str(tmp_path / "store"))
    experiment_id = client.create_experiment("diff")
    marker = tmp_path / "PWNED"
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    repo = tmp_path / "store" / "artifacts" / "crafted"
    commits = _crafted_repository(repo, marker)
    for run_id, commit in zip(run_ids, commits):
        client.set_tag(run_id, "autolog.git.repo", str(repo))
        client.set_tag(run_id, "autolog.git.commit", commit)
        client.set_terminated(run_id)
    return client, run_ids, marker, repo


def test_the_crafted_repository_really_runs_its_command(attack):
    _client, _run_ids, marker, repo = attack
    subprocess.run(["git", "-C", str(repo), "diff", "HEAD~1", "HEAD"], capture_output=True, check=False)
    assert marker.exists()  # so the checks below are meaningful


def test_diff_runs_and_the_ui_never_run_git_in_a_tagged_folder(attack):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    client, (a, b), marker, _repo = attack
    code = diff_runs(a, b, client=client).code
    assert code.git_diff is None and "--git" in code.note
    with TestClient(
        create_app(client.tracking_uri, csrf_token="t"), base_url="http://127.0.0.1:5000"
    ) as http:
        assert http.get(f"/diff?a={a}&b={b}").status_code == 200
        assert http.get("/api/diff", params={"a": a, "b": b}).status_code == 200
    assert not marker.exists()


def _cli(*args, store, cwd):
    return subprocess.run(
        [sys.executable, "-m", "autolog.cli", "--store", store, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_cli_runs_no_git_by_default_and_hardened_git_in_the_cwd_with_git(attack, tmp_path):
    client, (a, b), marker, repo = attack
    result = _cli("runs", "diff", a, b, store=client.tracking_uri, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    # Even run explicitly inside the crafted checkout, --git fetches nothing and runs no program.
    result = _cli("runs", "diff", a, b, "--git", store=client.tracking_uri, cwd=str(repo))
    assert result.returncode == 0, result.stderr
    assert "git diff unavailable" in result.stdout
    assert not marker.exists()


def test_the_recorded_patch_is_shown_instead(tmp_path):
    client = Client(str(tmp_path / "store"))
    experiment_id = client.create_experiment("diff")
    a, b = (client.create_run(experiment_id).info.run_id for _ in range(2))
    client.log_text(b, "--- a/train.py\n+++ b/train.py\n-C = 1\n+C = 2\n", "code/git_diff.patch")
    client.set_tag(b, "autolog.git.diff_artifact", f"runs:/{b}/code/git_diff.patch")
    client.set_tag(a, "autolog.git.diff_artifact", "runs:/../../etc/passwd")  # not a patch location
    code = diff_runs(a, b, client=client).code
    assert code.patch_a is None and "+C = 2" in code.patch_b
    result = _cli("runs", "diff", a, b, "--patch", store=client.tracking_uri, cwd=str(tmp_path))
    assert "uncommitted changes recorded in B" in result.stdout and "+C = 2" in result.stdout
