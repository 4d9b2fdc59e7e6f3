"""The ``autolog`` CLI, run in a subprocess against a real directory store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolog import Client

REPO = Path(__file__).resolve().parents[2]


def cli(
    *args: str, store=None, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autolog.cli", *([f"--store={store}"] if store else []), *args]
    full_env = dict(os.environ, PYTHONPATH=str(REPO))
    full_env.pop("AUTOLOG_TRACKING_URI", None)
    full_env.update(env or {})
    return subprocess.run(
        command, cwd=REPO, env=full_env, input=stdin, capture_output=True, text=True, timeout=60
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("autolog: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in done.stderr


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def populated(store, tmp_path):
    """Two experiments; three runs with params, metrics (one NaN), tags and artifacts."""
    client = Client(str(store))
    experiment_id = client.create_experiment("iris")
    runs = []
    for index, acc in enumerate([0.7, 0.9, 0.8]):
        run = client.create_run(experiment_id, run_name=f"run-{index}", params={"C": index})
        client.log_metric(run.info.run_id, "acc", acc)
        client.set_tag(run.info.run_id, "kind", "even" if index % 2 == 0 else "odd")
        client.set_terminated(run.info.run_id)
        runs.append(run.info.run_id)
    client.log_metric(runs[0], "loss", float("nan"))
    source = tmp_path / "notes.txt"
    source.write_text("hello")
    client.log_artifact(runs[0], str(source), "docs")
    client.log_text(runs[0], "top", "top.txt")
    other = client.create_run("0", run_name="in-default")
    client.set_terminated(other.info.run_id)
    return {"client": client, "experiment_id": experiment_id, "runs": runs, "default_run": other.info.run_id}


# -- experiments -------------------------------------------------------------------------------


def test_experiments_list_table_and_json(store, populated):
    table = cli("experiments", "list", store=store)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "STAGE"]
    assert any(row.split()[:2] == ["0", "Default"] for row in rows)
    assert any(row.split()[:2] == [populated["experiment_id"], "iris"] for row in rows)
    # aligned: the NAME column starts at the same offset in every line
    offset = header.index("NAME")
    assert all(row[offset - 2 : offset] == "  " for row in rows)

    data = json.loads(cli("experiments", "list", "--json", store=store).stdout)
    assert {e["name"] for e in data} == {"Default", "iris"}


def test_experiments_create_rename_delete_restore(store):
    created = cli("experiments", "create", "new-exp", "--json", store=store)
    assert created.returncode == 0, created.stderr
    experiment_id = json.loads(created.stdout)["experiment_id"]
    assert cli("experiments", "rename", "new-exp", "renamed", store=store).returncode == 0
    assert cli("experiments", "delete", experiment_id, store=store).returncode == 0
    listed = json.loads(cli("experiments", "list", "--json", store=store).stdout)
    assert "renamed" not in {e["name"] for e in listed}
    deleted = json.loads(cli("experiments", "list", "--deleted", "--json", store=store).stdout)
    assert [e["name"] for e in deleted] == ["renamed"]
    assert cli("experiments", "restore", "renamed", store=store).returncode == 0
    assert Client(str(store)).get_experiment(experiment_id).lifecycle_stage == "active"


def test_experiment_errors_are_one_line(store, populated):
    assert_one_line_error(cli("experiments", "create", "iris", store=store), "iris")
    assert_one_line_error(cli("experiments", "delete", "nope", store=store), "'nope'", "not found")
    assert_one_line_error(cli("runs", "list", "-e", "nope", store=store), "'nope'")


# -- runs --------------------------------------------------------------------------------------


def test_runs_list_table(store, populated):
    done = cli("runs", "list", store=store)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:4] == ["RUN", "ID", "EXPERIMENT", "NAME"]
    assert len(rows) == 4
    assert {row.split()[0] for row in rows} == {*populated["runs"], populated["default_run"]}
    assert all("FINISHED" in row for row in rows)


def test_runs_list_experiment_filter_order_max_json(store, populated):
    runs = populated["runs"]
    done = cli(
        "runs",
        "list",
        "-e",
        "iris",
        "--filter",
        "metrics.acc > 0.75",
        "--order-by",
        "metrics.acc DESC",
        "--json",
        store=store,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [r["run_id"] for r in data] == [runs[1], runs[2]]
    assert data[0]["metrics"] == {"acc": 0.9} and data[0]["params"] == {"C": "1"}
    by_id = json.loads(
        cli(
            "runs",
            "list",
            "-e",
            populated["experiment_id"],
            "--max",
            "1",
            "--json",
            "--order-by",
            "metrics.acc",
            store=store,
        ).stdout
    )
    assert [r["run_id"] for r in by_id] == [runs[0]]


def test_store_option_after_the_subcommand(store, populated):
    done = cli("runs", "list", "--json", f"--store={store}")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 4


def test_bad_filter_is_one_line_error(store, populated):
    assert_one_line_error(cli("runs", "list", "--filter", "metrics.acc >>> 1", store=store))


def test_runs_show_table_and_json(store, populated):
    run_id = populated["runs"][0]
    done = cli("runs", "show", run_id, store=store)
    assert done.returncode == 0, done.stderr
    assert "Run:" in done.stdout and run_id in done.stdout
    assert "Params (1)" in done.stdout and "Metrics (2)" in done.stdout
    assert "iris" in done.stdout and "FINISHED" in done.stdout
    data = json.loads(cli("runs", "show", run_id, "--json", store=store).stdout)
    assert data["run_id"] == run_id and data["status"] == "FINISHED"
    assert data["metrics"] == {"acc": 0.7, "loss": "NaN"}, "strict JSON: NaN as a string"


def test_unknown_run_is_one_line_error(store, populated):
    assert_one_line_error(cli("runs", "show", "abc", store=store), "abc")
    assert_one_line_error(cli("runs", "delete", "f" * 32, store=store))


def test_runs_delete_and_restore(store, populated):
    run_id = populated["runs"][1]
    assert cli("runs", "delete", run_id, store=store).returncode == 0
    listed = json.loads(cli("runs", "list", "--json", store=store).stdout)
    assert run_id not in {r["run_id"] for r in listed}
    deleted = json.loads(cli("runs", "list", "--deleted", "--json", store=store).stdout)
    assert [r["run_id"] for r in deleted] == [run_id]
    assert cli("runs", "restore", run_id, store=store).returncode == 0
    assert Client(str(store)).get_run(run_id).info.lifecycle_stage == "active"


# -- artifacts ---------------------------------------------------------------------------------


def test_artifacts_list_and_download(store, populated, tmp_path):
    run_id = populated["runs"][0]
    table = cli("artifacts", "list", run_id, store=store)
    assert table.returncode == 0, table.stderr
    assert "docs/" in table.stdout and "top.txt" in table.stdout
    nested = json.loads(cli("artifacts", "list", run_id, "docs", "--json", store=store).stdout)
    assert nested == [{"path": "docs/notes.txt", "is_dir": False, "file_size": 5}]
    out = tmp_path / "out"
    done = cli("artifacts", "download", run_id, "-o", str(out), store=store)
    assert done.returncode == 0, done.stderr
    local = Path(done.stdout.strip())
    assert (local / "docs" / "notes.txt").read_text() == "hello"
    one = cli("artifacts", "download", run_id, "top.txt", "-o", str(out / "one"), "--json", store=store)
    assert Path(json.loads(one.stdout)["local_path"]).read_text() == "top"


def test_artifacts_of_unknown_run_or_bad_path(store, populated):
    assert_one_line_error(cli("artifacts", "list", "nope", store=store), "nope")
    assert_one_line_error(cli("artifacts", "download", populated["runs"][0], "../../etc", store=store))


# -- gc ----------------------------------------------------------------------------------------


def test_gc_asks_before_purging(store, populated):
    run_id = populated["runs"][0]
    artifact_dir = Client(str(store)).get_run(run_id).info.artifact_uri
    cli("runs", "delete", run_id, store=store)
    declined = cli("gc", store=store, stdin="n\n")
    assert declined.returncode != 0 and "aborted" in declined.stderr
    assert Client(str(store)).get_run(run_id).info.lifecycle_stage == "deleted"
    accepted = cli("gc", store=store, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "Purged 1 run" in accepted.stdout
    done = cli("runs", "show", run_id, store=store)
    assert_one_line_error(done, run_id)
    if artifact_dir.startswith("/") or artifact_dir.startswith("file:"):
        assert not Path(artifact_dir.removeprefix("file://")).exists()


def test_gc_yes_and_json(store, populated):
    for run_id in populated["runs"][:2]:
        cli("runs", "delete", run_id, store=store)
    done = cli("gc", "--yes", "--json", store=store)
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["purged"]) == sorted(populated["runs"][:2])
    assert "Nothing to purge" in cli("gc", "--yes", store=store).stdout


# -- stores that are missing, bad or unreachable -----------------------------------------------


def test_reads_on_a_missing_directory_print_empty_and_create_nothing(tmp_path):
    missing = tmp_path / "no-store-here"
    done = cli("runs", "list", store=missing)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "No runs."
    assert json.loads(cli("runs", "list", "--json", store=missing).stdout) == []
    listed = json.loads(cli("experiments", "list", "--json", store=missing).stdout)
    assert [e["name"] for e in listed] in ([], ["Default"])
    assert_one_line_error(cli("runs", "show", "f" * 32, store=missing))
    assert not missing.exists()


def test_default_store_comes_from_the_environment(store, populated):
    done = cli("runs", "list", "--json", env={"AUTOLOG_TRACKING_URI": str(store)})
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 4


def test_bad_and_unreachable_stores_are_one_line_errors():
    assert_one_line_error(cli("runs", "list", store="ftp://x"), "ftp://x")
    unreachable = cli("runs", "list", store="postgresql://nobody@127.0.0.1:1/nothing")
    assert_one_line_error(unreachable)


def test_usage_errors_exit_2():
    done = cli("runs")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_a_new_subcommand_is_one_registered_function(capsys):
    from autolog.cli import main
    from autolog.cli._commands import COMMANDS, arg, command

    @command("runs", "echo-id", help="test-only command", args=(arg("run_id"),), json_output=True)
    def runs_echo(ctx):
        ctx.emit_json({"run": ctx.args.run_id}) if ctx.json else ctx.echo(ctx.args.run_id)

    try:
        assert main(["runs", "echo-id", "abc"]) == 0
        assert capsys.readouterr().out == "abc\n"
        assert main(["runs", "echo-id", "abc", "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"run": "abc"}
    finally:
        COMMANDS.remove(next(c for c in COMMANDS if c.func is runs_echo))
