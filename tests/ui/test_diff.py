"""diff_runs and `autolog runs diff`: params, data, code (with a real git repository), environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from autolog.diff import diff_runs


def _git(repo, *args) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


@pytest.fixture
def repo_with_two_commits(tmp_path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("C = 1.0\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("C = 0.1\nmax_iter = 500\n")
    _git(repo, "commit", "-q", "-am", "second")
    return repo, first, _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def client(tmp_path):
    from autolog import Client

    return Client(str(tmp_path / "store"))


def _run(client, experiment_id, *, params, metrics, tags):
    run = client.create_run(experiment_id, params=params, tags=tags)
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _pair(client, repo, first, second):
    found = client.get_experiment_by_name("diff")
    experiment = found.experiment_id if found else client.create_experiment("diff")
    common = {"autolog.git.repo": str(repo), "autolog.python.version": "3.11.7"}
    a = _run(
        client,
        experiment,
        params={"C": "1.0", "solver": "lbfgs"},
        metrics={"acc": 0.9, "loss": 0.0},
        tags={
            **common,
            "autolog.git.commit": first,
            "autolog.git.branch": "main",
            "autolog.git.dirty": "false",
            "autolog.data.digest": "aaa",
            "autolog.data.shape": "100x3",
            "autolog.data.columns": '["x1", "x2", "x3"]',
            "autolog.framework": "sklearn",
            "autolog.framework.version": "1.5.0",
        },
    )
    b = _run(
        client,
        experiment,
        params={"C": "0.1", "max_iter": "500"},
        metrics={"acc": 0.8, "f1": 0.7},
        tags={
            **common,
            "autolog.python.version": "3.12.1",
            "autolog.git.commit": second,
            "autolog.git.branch": "main",
            "autolog.git.dirty": "true",
            "autolog.data.digest": "bbb",
            "autolog.data.shape": "120x3",
            "autolog.data.columns": '["x1", "x3", "x4"]',
            "autolog.framework": "sklearn",
            "autolog.framework.version": "1.6.1",
        },
    )
    return a, b


def test_diff_runs_reports_every_kind_of_change(client, repo_with_two_commits):
    repo, first, second = repo_with_two_commits
    a, b = _pair(client, repo, first, second)
    diff = diff_runs(a, b, client=client, git_checkout=str(repo))

    assert diff.params.added == {"max_iter": "500"} and diff.params.removed == {"solver": "lbfgs"}
    assert [(c.key, c.a, c.b) for c in diff.params.changed] == [("C", "1.0", "0.1")]

    (data,) = diff.data
    assert data.same_data is False and (data.shape_a, data.shape_b) == ("100x3", "120x3")
    assert data.columns_added == ["x4"] and data.columns_removed == ["x2"]

    code = diff.code
    assert code.same_commit is False and (code.dirty_a, code.dirty_b) == (False, True)
    assert "-C = 1.0" in code.git_diff and "+max_iter = 500" in code.git_diff
    assert "train.py" in code.git_diff_stat

    env = diff.environment
    assert (env.python_a, env.python_b) == ("3.11.7", "3.12.1")
    assert [(c.key, c.a, c.b) for c in env.changed] == [("scikit-learn", "1.5.0", "1.6.1")]

    metrics = {m.key: m for m in diff.metrics}
    assert metrics["acc"].delta == pytest.approx(-0.1) and metrics["acc"].relative == pytest.approx(
        -0.1 / 0.9
    )
    assert metrics["loss"].b is None and metrics["f1"].a is None and metrics["loss"].relative is None

    as_json = json.loads(json.dumps(diff.to_dict()))
    assert as_json["code"]["same_commit"] is False and as_json["data"][0]["same_data"] is False


def test_missing_git_never_fails_the_diff(client, repo_with_two_commits, monkeypatch):
    repo, first, second = repo_with_two_commits
    a, b = _pair(client, repo, first, second)
    monkeypatch.setenv("PATH", "/nonexistent")
    diff = diff_runs(a, b, client=client, git_checkout=str(repo))
    assert diff.code.git_diff is None and "git" in diff.code.note


def test_unavailable_repository_and_unknown_commit(client, repo_with_two_commits, tmp_path):
    repo, first, _ = repo_with_two_commits
    a, b = _pair(client, tmp_path / "gone", first, "c" * 40)
    assert "autolog runs diff --git" in diff_runs(a, b, client=client).code.note
    a, b = _pair(client, repo, first, "c" * 40)
    diff = diff_runs(a, b, client=client, git_checkout=str(repo))
    assert diff.code.git_diff is None and diff.code.note.startswith("git diff unavailable")


def test_model_requirements_feed_the_environment(client, tmp_path):
    experiment = client.create_experiment("models")
    ids = []
    for version in ("1.0.0", "2.0.0"):
        run_id = _run(client, experiment, params={}, metrics={}, tags={})
        client.log_dict(
            run_id, {"flavor": "sklearn", "requirements": [f"numpy=={version}"]}, "model/autolog-model.json"
        )
        ids.append(run_id)
    env = diff_runs(*ids, client=client).environment
    assert [(c.key, c.a, c.b) for c in env.changed] == [("numpy", "1.0.0", "2.0.0")]


def _cli(*args, store, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "autolog.cli", "--store", store, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_cli_runs_diff_readable_and_json(client, repo_with_two_commits):
    repo, first, second = repo_with_two_commits
    a, b = _pair(client, repo, first, second)
    text = _cli("runs", "diff", a, b, "--git", store=client.tracking_uri, cwd=str(repo))
    assert text.returncode == 0, text.stderr
    for expected in (
        "Metrics",
        "acc",
        "-11.1%",
        "Params",
        "max_iter",
        "added",
        "DIFFERENT data",
        "columns +x4 -x2",
        "train.py",
        "python",
        "3.11.7",
        "3.12.1",
        "scikit-learn",
    ):
        assert expected in text.stdout, expected
    as_json = _cli("runs", "diff", a, b, "--json", store=client.tracking_uri)
    assert json.loads(as_json.stdout)["params"]["added"] == {"max_iter": "500"}


def test_cli_runs_diff_unknown_run_is_one_line(client):
    client.create_experiment("x")
    result = _cli("runs", "diff", "0" * 32, "1" * 32, store=client.tracking_uri)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
