"""Tracking URI and artifact root resolution, and the per-URI store cache."""

from __future__ import annotations

import os
import threading

import pytest

import autolog
from autolog.exceptions import InvalidInputError
from autolog.tracking import _uri


def test_default_is_autolog_runs_in_the_working_directory_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert autolog.get_tracking_uri() == str(tmp_path / "autolog-runs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert autolog.get_tracking_uri() == str(tmp_path / "autolog-runs"), "resolved once, at first use"


def test_environment_wins_over_default_and_set_tracking_uri_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "from-env"))
    assert autolog.get_tracking_uri() == str(tmp_path / "from-env")
    autolog.set_tracking_uri(str(tmp_path / "explicit"))
    assert autolog.get_tracking_uri() == str(tmp_path / "explicit")
    autolog.set_tracking_uri(None)
    assert autolog.get_tracking_uri() == str(tmp_path / "from-env")


def test_relative_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    autolog.set_tracking_uri("runs-here")
    assert autolog.get_tracking_uri() == str(tmp_path / "runs-here")


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:////tmp/x.db",
        "postgresql://u@localhost/db",
        "postgresql+psycopg://u@h/db",
        "file:///tmp/store",
    ],
)
def test_database_and_file_uris_are_kept_as_given(uri):
    autolog.set_tracking_uri(uri)
    assert autolog.get_tracking_uri() == uri


@pytest.mark.parametrize("bad", ["ftp://x", "", "   ", "s3://bucket/path"])
def test_bad_uri_is_rejected_naming_it_and_changes_nothing(bad, tmp_path):
    autolog.set_tracking_uri(str(tmp_path))
    with pytest.raises(InvalidInputError) as caught:
        autolog.set_tracking_uri(bad)
    assert repr(bad) in str(caught.value)
    assert autolog.get_tracking_uri() == str(tmp_path)


def test_bad_uri_from_environment_is_rejected(monkeypatch):
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", "ftp://x")
    with pytest.raises(InvalidInputError, match="ftp://x"):
        autolog.get_tracking_uri()
    with pytest.raises(InvalidInputError, match="ftp://x"):
        autolog.Client()


def test_artifact_root_from_argument_then_environment(tmp_path, monkeypatch):
    assert _uri.resolve_artifact_root(None) is None
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", str(tmp_path / "env-root"))
    assert _uri.resolve_artifact_root(None) == str(tmp_path / "env-root")
    assert _uri.resolve_artifact_root(str(tmp_path / "arg")) == str(tmp_path / "arg")


def test_get_store_is_cached_per_uri_and_artifact_root(tmp_path):
    first = autolog.get_store(str(tmp_path / "a"))
    assert autolog.get_store(str(tmp_path / "a")) is first
    assert autolog.get_store(str(tmp_path / "b")) is not first
    assert autolog.get_store(str(tmp_path / "a"), str(tmp_path / "other-root")) is not first


def test_get_store_creates_one_store_under_concurrent_first_use(tmp_path):
    barrier = threading.Barrier(8)
    stores = []

    def open_it():
        barrier.wait()
        stores.append(autolog.get_store(str(tmp_path / "shared")))

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stores) == 8 and all(store is stores[0] for store in stores)


def test_reads_on_a_missing_directory_create_nothing(tmp_path):
    target = tmp_path / "not-yet"
    autolog.set_tracking_uri(str(target))
    assert autolog.search_runs(output_format="list") == []
    assert autolog.get_experiment_by_name("nope") is None
    assert not os.path.exists(target)
