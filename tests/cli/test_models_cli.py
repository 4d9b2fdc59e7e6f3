"""``autolog models ...`` in a subprocess against a real directory store."""

from __future__ import annotations

import json

import pytest

from autolog import Client
from tests.cli.test_cli import assert_one_line_error, cli


@pytest.fixture
def model_run(tmp_path) -> tuple:
    """A directory store with one run holding a logged model: ``(store path, run id)``."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import autolog

    store = str(tmp_path / "store")
    client = Client(store)
    run_id = client.create_run("0", run_name="lr").info.run_id
    X, y = load_iris(return_X_y=True)
    autolog.set_tracking_uri(store)
    try:
        autolog.log_model(LogisticRegression(max_iter=300).fit(X, y), "model", run_id=run_id)
    finally:
        autolog.set_tracking_uri(None)
    client.set_terminated(run_id)
    return store, run_id


def test_register_list_show_alias_delete(model_run):
    store, run_id = model_run
    done = cli("models", "register", f"runs:/{run_id}/model", "churn", "--description", "first", store=store)
    assert done.returncode == 0, done.stderr
    assert "Registered churn version 1" in done.stdout
    assert (
        json.loads(cli("models", "register", f"runs:/{run_id}/model", "churn", "--json", store=store).stdout)[
            "version"
        ]
        == 2
    )

    done = cli("models", "alias", "churn", "champion", "1", store=store)
    assert "churn@champion -> version 1" in done.stdout
    done = cli("models", "alias", "churn", "champion", "2", store=store)  # moves
    assert "-> version 2" in done.stdout

    listed = cli("models", "list", store=store).stdout.splitlines()
    assert listed[0].split() == ["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"]
    assert listed[1].startswith("churn") and "champion -> v2" in listed[1]
    [entry] = json.loads(cli("models", "list", "--json", store=store).stdout)
    assert (entry["name"], entry["latest_version"], entry["aliases"]) == ("churn", 2, {"champion": 2})

    shown = cli("models", "show", "churn", store=store).stdout
    assert "Aliases:     champion -> v2" in shown and run_id in shown
    details = json.loads(cli("models", "show", "churn", "--json", store=store).stdout)
    assert [v["version"] for v in details["versions"]] == [2, 1]
    assert details["versions"][1]["description"] == "first"

    assert cli("models", "alias", "churn", "champion", "--delete", store=store).returncode == 0
    assert json.loads(cli("models", "show", "churn", "--json", store=store).stdout)["aliases"] == {}
    assert "Deleted version 1" in cli("models", "delete", "churn", "--version", "1", store=store).stdout
    assert "Deleted registered model churn" in cli("models", "delete", "churn", store=store).stdout
    assert cli("models", "list", store=store).stdout.strip() == "No registered models."


def test_errors_are_one_line(model_run):
    store, run_id = model_run
    assert_one_line_error(cli("models", "show", "nope", store=store), "no registered model named 'nope'")
    assert_one_line_error(cli("models", "register", "model", "churn", store=store), "runs:/<run_id>/")
    assert_one_line_error(
        cli("models", "register", f"runs:/{run_id}/nothing", "churn", store=store), "holds no model"
    )
    assert_one_line_error(
        cli("models", "register", f"runs:/{run_id}/model", "a@b", store=store), "invalid model name 'a@b'"
    )
    cli("models", "register", f"runs:/{run_id}/model", "churn", store=store)
    assert_one_line_error(cli("models", "alias", "churn", "latest", "1", store=store), "'latest' is reserved")
    assert_one_line_error(cli("models", "alias", "churn", "champion", "5", store=store), "no version 5")
    assert_one_line_error(cli("models", "alias", "churn", "champion", store=store), "VERSION")
    assert_one_line_error(
        cli("models", "delete", "churn", "--version", "x", store=store), "invalid model version"
    )
    assert_one_line_error(cli("runs", "delete", run_id, store=store), "churn/1", "force=True")
    done = cli("runs", "delete", run_id, "--force", store=store)
    assert done.returncode == 0, done.stderr
