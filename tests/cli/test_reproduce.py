"""`autolog runs reproduce` on a real git repository with a seeded training script."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from autolog.cli import main as cli
from autolog.tracking import Client

TRAIN = textwrap.dedent(
    """
    import argparse

    import numpy as np
    from autolog import autolog
    from sklearn.linear_model import SGDRegressor

    autolog()
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--alpha", type=float, default=ALPHA)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    data = np.loadtxt(args.data, delimiter=",")
    SGDRegressor(alpha=args.alpha, random_state=7, max_iter=50).fit(data[:, :-1], data[:, -1])
    """
)


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _write_data(path, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.random((40, 3))
    np.savetxt(path, np.column_stack([X, X.sum(axis=1)]), delimiter=",")


@pytest.fixture
def project(tmp_path, monkeypatch):
    repo, store = tmp_path / "repo", tmp_path / "store"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "train.py").write_text(TRAIN.replace("ALPHA", "0.1"))
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-qm", "train")
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path / 'hook-ran'}\n")
    hook.chmod(0o755)
    _write_data(tmp_path / "data.csv", seed=0)
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(store))
    monkeypatch.chdir(repo)
    return repo, tmp_path / "data.csv", Client(str(store))


def _train(repo, *args: str) -> None:
    subprocess.run([sys.executable, "train.py", *args], cwd=repo, check=True, capture_output=True)


def _reproduce(capsys, run_id: str, *options: str) -> tuple:
    status = cli(["runs", "reproduce", run_id, "--json", *options])
    captured = capsys.readouterr()
    return status, (json.loads(captured.out) if captured.out.strip() else None), captured.err


@pytest.mark.slow
def test_an_old_run_reproduces_its_numbers_then_a_data_change_is_called_out(project, capsys):
    repo, data, client = project
    # Run A: an uncommitted change of the default alpha (recorded as the run's diff).
    (repo / "train.py").write_text(TRAIN.replace("ALPHA", "0.5"))
    _train(repo, "--data", str(data))
    [run_a] = client.search_runs(["0"])
    assert run_a.data.tags["autolog.git.dirty"] == "true"
    # Later: another default, committed; the user's checkout moves on.
    (repo / "train.py").write_text(TRAIN.replace("ALPHA", "3.0"))
    _git(repo, "commit", "-qam", "alpha 3")
    head_before = (repo / "train.py").read_text()

    status, report, err = _reproduce(capsys, run_a.info.run_id)
    assert status == 0, err
    assert report["commit"] == run_a.data.tags["autolog.git.commit"] and report["applied_diff"]
    new = client.get_run(report["new_run"])
    assert new.data.tags["autolog.reproduces"] == run_a.info.run_id
    assert new.info.experiment_id == run_a.info.experiment_id
    assert new.data.params["alpha"] == "0.5" == run_a.data.params["alpha"]
    assert new.data.metrics == run_a.data.metrics  # same code, data and seed: same numbers
    assert [m["delta"] for m in report["diff"]["metrics"]] == [0.0] * len(run_a.data.metrics)
    assert report["data_changed"] == []
    # The user's checkout is untouched, the worktree gone, no hook ran.
    assert (repo / "train.py").read_text() == head_before
    assert (
        subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True).stdout.count(
            "\n"
        )
        == 1
    )
    assert not (repo.parent / "hook-ran").exists()

    _write_data(data, seed=1)
    status, report, err = _reproduce(capsys, run_a.info.run_id)
    assert status == 0, err
    assert report["data_changed"] == [report["diff"]["data"][0]["name"]]
    assert report["diff"]["data"][0]["same_data"] is False


def _recorded_run(client, **tags):
    base = {"autolog.source.name": "/nowhere/train.py", "autolog.source.argv": json.dumps(["train.py"])}
    return client.create_run("0", tags={**base, **tags}).info.run_id


def test_refusals_say_why(project, capsys):
    repo, _, client = project
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    cases = {
        _recorded_run(client): "recorded no git commit",
        _recorded_run(client, **{"autolog.git.commit": "f" * 40}): f"commit {'f' * 40}",
        _recorded_run(
            client, **{"autolog.git.commit": head, "autolog.source.name": "<interactive>"}
        ): "was not a file",
    }
    for run_id, message in cases.items():
        status, _, err = _reproduce(capsys, run_id)
        assert status == 1 and message in err, err


def test_redacted_argv_values_must_be_given(project, capsys):
    repo, data, client = project
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    argv = ["train.py", "--data", str(data), "--token=[REDACTED]"]
    run_id = _recorded_run(
        client,
        **{
            "autolog.git.commit": head,
            "autolog.git.repo": str(repo),
            "autolog.source.name": str(repo / "train.py"),
            "autolog.source.argv": json.dumps(argv),
        },
    )
    status, _, err = _reproduce(capsys, run_id)
    assert status == 1 and "redacted values for: token" in err and "--arg token=VALUE" in err

    from autolog._reproduce import plan_reproduction

    plan = plan_reproduction(client, run_id, cwd=str(repo), overrides={"token": "s3"})
    assert plan.argv == ["--data", str(data), "--token=s3"] and plan.script == "train.py"
