"""The git diff of a dirty checkout: written once per store and diff, by every integration."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from tests.integrations._framework_fixtures import require, runs_of

lgb = require("lightgbm")

from sklearn.datasets import load_breast_cancer  # noqa: E402

from autolog import context  # noqa: E402
from autolog._core._process import PROCESS  # noqa: E402

X, y = load_breast_cancer(return_X_y=True)


@pytest.fixture
def dirty_checkout(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / "train.py").write_text("rounds = 3\n")
    subprocess.run(git + ["add", "train.py"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "init"], check=True)
    (repo / "train.py").write_text("rounds = 4\n")
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", ["-c"])
    PROCESS.reset("engine.git_diff")
    context.refresh()
    try:
        yield context.git_diff()
    finally:
        context.refresh()


def test_framework_runs_share_one_copy_of_the_diff(store, dirty_checkout, tmp_path):
    params = {"objective": "binary", "num_leaves": 4, "verbose": -1, "num_threads": 1}
    for _ in range(3):
        lgb.train(params, lgb.Dataset(X, y), 3)
    runs = runs_of(store)
    assert len(runs) == 3
    digest = hashlib.sha256(dirty_checkout.encode("utf-8")).hexdigest()
    holders = [r.info.run_id for r in runs if store.list_artifacts(r.info.run_id, "code")]
    assert len(holders) == 1
    for run in runs:
        assert run.data.tags["autolog.git.diff_sha256"] == digest
        assert run.data.tags["autolog.git.diff_artifact"] == f"runs:/{holders[0]}/code/git_diff.patch"
    path = store.download_artifacts(holders[0], "code/git_diff.patch", str(tmp_path / "dl"))
    with open(path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
