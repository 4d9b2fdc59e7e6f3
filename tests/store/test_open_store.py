import os

import pytest

from autolog.exceptions import InvalidInputError
from autolog.store import SqlStore, open_store


def test_directory_store_is_created_on_first_write_only(tmp_path):
    directory = tmp_path / "runs"
    store = open_store(str(directory))
    assert store.search_runs("0") == [] and store.count_runs("0") == 0
    assert store.get_experiment("0").name == "Default"
    assert store.get_experiment_by_name("x") is None
    assert not directory.exists()
    store.create_experiment("first")
    assert (directory / "autolog.db").exists()
    assert store.artifact_root == str(directory / "artifacts")
    mode = os.stat(directory / "autolog.db").st_mode
    assert not mode & 0o022


def test_file_uri_and_sqlite_uri(tmp_path):
    by_uri = open_store(f"file://{tmp_path}/a")
    assert by_uri.db_uri == f"sqlite:///{tmp_path}/a/autolog.db"
    direct = open_store(f"sqlite:///{tmp_path}/b.db", artifact_root=str(tmp_path / "art"))
    run = direct.create_run("0")
    assert run.info.artifact_uri.startswith(f"{tmp_path}/art/0/")


def test_database_uri_default_artifact_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOLOG_ARTIFACT_ROOT", raising=False)
    assert open_store("sqlite:///x.db").artifact_root == str(tmp_path / "autolog-artifacts")
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", str(tmp_path / "env"))
    assert open_store("sqlite:///x.db").artifact_root == str(tmp_path / "env")


def test_postgres_uri_uses_psycopg():
    store = SqlStore("postgresql://u@127.0.0.1:1/db", "/tmp/a")
    assert store.db_uri.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("uri", ["", "http://server:5000", "s3://bucket/x", "mysql://x/y", None])
def test_bad_uris(uri):
    with pytest.raises(InvalidInputError):
        open_store(uri)


def test_unreachable_database_is_a_store_error():
    from autolog.exceptions import StoreError

    store = SqlStore("postgresql://nobody@127.0.0.1:1/none", "/tmp/a")
    with pytest.raises(StoreError, match="127.0.0.1"):
        store.create_run("0")
