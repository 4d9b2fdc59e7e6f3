"""``autolog runs rename|tag|note|delete|restore``, ``runs show <prefix>`` and ``runs list --columns``."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import assert_one_line_error, cli


@pytest.fixture
def store(tmp_path):
    from autolog import Client

    uri = str(tmp_path / "store")
    client = Client(uri)
    experiment = client.create_experiment("edits")
    runs = []
    for i in range(3):
        run = client.create_run(experiment, run_name=f"r{i}", params={"C": str(i)})
        client.log_metric(run.info.run_id, "accuracy", 0.5 + i / 10)
        client.set_terminated(run.info.run_id)
        runs.append(run.info.run_id)
    return uri, client, runs


def _unique_prefix(run_id: str, others: list) -> str:
    for length in range(4, 33):
        if not any(o != run_id and o.startswith(run_id[:length]) for o in others):
            return run_id[:length]
    return run_id


def test_edit_commands_accept_a_unique_prefix(store):
    uri, client, runs = store
    run_id = runs[0]
    prefix = _unique_prefix(run_id, runs)
    assert cli("runs", "rename", prefix, "better name", store=uri).returncode == 0
    assert cli("runs", "tag", prefix, "team=vision", "stage=dev", store=uri).returncode == 0
    assert cli("runs", "tag", prefix, "--delete", "stage", store=uri).returncode == 0
    assert cli("runs", "note", prefix, "-", store=uri, stdin="# Why\n**bold**\n").returncode == 0
    run = client.get_run(run_id)
    assert run.info.run_name == "better name"
    assert run.data.tags["team"] == "vision" and "stage" not in run.data.tags
    assert run.data.tags["mlflow.note.content"] == "# Why\n**bold**\n"
    assert cli("runs", "note", prefix, store=uri).stdout.startswith("# Why")
    assert cli("runs", "note", prefix, "", store=uri).returncode == 0
    assert "mlflow.note.content" not in client.get_run(run_id).data.tags
    assert cli("runs", "delete", prefix, store=uri).returncode == 0
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert cli("runs", "restore", prefix, store=uri).returncode == 0
    shown = cli("runs", "show", prefix, store=uri)
    assert shown.returncode == 0 and run_id in shown.stdout and "better name" in shown.stdout


def test_ambiguous_or_unknown_prefix_is_one_clear_error(store):
    uri, _, runs = store
    assert_one_line_error(cli("runs", "show", "", store=uri), "")
    assert_one_line_error(cli("runs", "show", "zzzz", store=uri), "zzzz")
    common = ""
    for a in runs:
        for b in runs:
            if a != b and a[0] == b[0]:
                common = a[0]
    if common:
        assert_one_line_error(cli("runs", "show", common, store=uri), "ambiguous")


def test_list_with_chosen_columns(store):
    uri, _, runs = store
    done = cli("runs", "list", "--columns", "metrics.accuracy,params.C", store=uri)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.strip().splitlines()
    assert "METRICS.ACCURACY" in header.upper() and "PARAMS.C" in header.upper()
    assert any(row.split()[-2:] == ["0.7", "2"] for row in rows)
    assert_one_line_error(cli("runs", "list", "--columns", "accuracy", store=uri), "metrics.KEY")
