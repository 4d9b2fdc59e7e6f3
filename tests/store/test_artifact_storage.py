"""Artifacts on object storage and stores that move: records, integrity, atomicity, cache, gc.

S3 cases run against moto's server (a real S3 API on 127.0.0.1, see tests/_moto.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import sqlalchemy as sa
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.cli import main
from autolog.exceptions import ArtifactIntegrityError, ModelIntegrityError, NotFoundError
from autolog.models import METADATA_FILE_NAME, load_model, log_model
from autolog.store import _engine, artifact_repository, open_store
from autolog.store._artifact_cache import ReadCache
from autolog.store._artifact_files import ArtifactRecord
from autolog.store._artifacts import LocalArtifactRepository
from autolog.store._fsspec_artifacts import FsspecArtifactRepository, with_retries
from autolog.tracking import Client, get_store
from tests._moto import BUCKET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def model():
    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=300).fit(X, y), X


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _overwrite_stored(repository, artifact_path: str, data: bytes, s3_server=None) -> None:
    """Change an artifact's bytes behind autolog's back (disk, or straight through the S3 API)."""
    local = repository.local_path(artifact_path)
    if local is not None:
        with open(local, "wb") as handle:
            handle.write(data)
        return
    key = repository.root.split(f"s3://{BUCKET}/", 1)[1] + "/" + artifact_path
    s3_server.client().put_object(Bucket=BUCKET, Key=key, Body=data)


# --- records and integrity ------------------------------------------------------------------------


def test_every_written_file_is_recorded_with_size_and_sha256(artifact_backend, tracking_dir, model, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"notes")
    with autolog.start_run() as run:
        autolog.log_text("hello", "texts/a.txt")
        autolog.log_artifact(str(source), "files")
        log_model(model[0])
    records = get_store()._artifact_records(run.info.run_id)
    assert records["texts/a.txt"] == ArtifactRecord("texts/a.txt", 5, _sha256(b"hello"))
    assert records["files/notes.txt"] == ArtifactRecord("files/notes.txt", 5, _sha256(b"notes"))
    model_files = {path for path in records if path.startswith("model/")}
    listed = {info.path for info in get_store().artifacts(run.info.run_id).list_files("model")}
    assert model_files == listed and f"model/{METADATA_FILE_NAME}" in model_files
    assert set(get_store()._artifact_records(run.info.run_id, "texts")) == {"texts/a.txt"}
    assert get_store()._artifact_records(run.info.run_id, "text") == {}  # a prefix is not a directory


def test_a_changed_artifact_fails_download_and_model_load(artifact_backend, tracking_dir, model, request):
    s3_server = request.getfixturevalue("s3_server") if artifact_backend == "s3" else None
    with autolog.start_run() as run:
        autolog.log_text("original", "a.txt")
        info = log_model(model[0])
    repository = get_store().artifacts(run.info.run_id)
    _overwrite_stored(repository, "a.txt", b"tampered", s3_server)
    with pytest.raises(ArtifactIntegrityError, match="a.txt"):
        Client().download_artifacts(run.info.run_id, "a.txt")
    metadata_path = f"model/{METADATA_FILE_NAME}"
    if s3_server is not None:
        (get_store().artifacts(run.info.run_id).list_files("model"))  # still listed
        text = json.dumps({"changed": True}).encode()
    else:
        text = open(repository.local_path(metadata_path), "rb").read().replace(b'"created"', b'"created" ')
    _overwrite_stored(repository, metadata_path, text, s3_server)
    with pytest.raises(ModelIntegrityError):
        load_model(info.model_uri)


# --- S3 specifics ---------------------------------------------------------------------------------


@pytest.mark.s3
def test_multipart_upload_and_download_stream_and_verify(s3_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_ARTIFACT_PART_SIZE", str(5 * MiB))
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
    store = open_store(str(tmp_path / "store"), artifact_root=s3_server.new_root())
    run_id = store.create_run("0").info.run_id
    data = os.urandom(12 * MiB + 123)  # three parts
    (tmp_path / "big.bin").write_bytes(data)
    repository = store.artifacts(run_id)
    assert isinstance(repository, FsspecArtifactRepository) and repository.part_size == 5 * MiB
    assert repository.log_artifact(str(tmp_path / "big.bin"), "data") == "data/big.bin"
    assert s3_server.keys(repository.root) == ["data/big.bin"]
    seen = []
    copy = repository.download_artifacts("data", str(tmp_path / "out"), progress=seen.append)
    assert open(os.path.join(copy, "big.bin"), "rb").read() == data
    assert sum(seen) == len(data)
    assert store._artifact_records(run_id)["data/big.bin"] == ArtifactRecord(
        "data/big.bin", len(data), _sha256(data)
    )


@pytest.mark.s3
def test_parts_in_flight_are_bounded_and_a_failed_upload_is_aborted(s3_server, monkeypatch):
    monkeypatch.setenv("AUTOLOG_ARTIFACT_PART_SIZE", str(5 * MiB))
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CONCURRENCY", "2")
    repository = FsspecArtifactRepository(s3_server.new_root())
    data = os.urandom(16 * MiB + 7)  # four parts, two in flight at a time
    assert repository.put_bytes(data, "whole.bin").size == len(data)  # one PutObject
    seen: list[int] = []
    transfers = repository._s3
    assert transfers is not None and transfers.concurrency == 2
    assert transfers.put_stream(repository._key("parts.bin"), io.BytesIO(data)) == (len(data), _sha256(data))
    out = io.BytesIO()
    assert transfers.get_stream(repository._key("parts.bin"), out, seen.append) == (len(data), _sha256(data))
    assert out.getvalue() == data and len(seen) == 4

    class FailingReader(io.BytesIO):
        def read(self, size=-1):
            if self.tell() >= 10 * MiB:
                raise OSError("disk gone")
            return super().read(size)

    with pytest.raises(OSError, match="disk gone"):
        transfers.put_stream(repository._key("broken.bin"), FailingReader(data))
    assert s3_server.keys(repository.root) == ["parts.bin", "whole.bin"]
    uploads = s3_server.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    assert not [upload for upload in uploads if upload["Key"].endswith("/broken.bin")]  # aborted


@pytest.mark.s3
def test_background_writes_send_one_put_per_file_and_reads_wait_for_them(s3_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
    store = open_store(str(tmp_path / "store"), artifact_root=s3_server.new_root())
    run_id = store.create_run("0").info.run_id
    repository = store.artifacts(run_id)
    repository.write_bytes("warm.txt", b"connects the client")
    calls: list[str] = []
    repository.fs.s3.meta.events.register("before-call.s3", lambda event_name, **_: calls.append(event_name))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.pkl").write_bytes(b"pickled")
    repository.write_bytes("evaluation/training.json", b"{}", wait=False)
    repository.log_artifacts(str(tmp_path / "model"), "model", wait=False)
    assert [info.path for info in repository.list_files("")] == [
        "evaluation/training.json",
        "model/model.pkl",
        "warm.txt",
    ]  # the listing waited for the background uploads
    puts = [name for name in calls if name.endswith(".PutObject")]
    assert len(puts) == 2 and all(name.endswith((".PutObject", ".ListObjectsV2")) for name in calls)
    assert set(store._artifact_records(run_id)) == {"evaluation/training.json", "model/model.pkl", "warm.txt"}
    assert store.artifacts(run_id).fs is repository.fs  # one client (and connection pool) per process


_UPLOADER = textwrap.dedent("""
    import os, sys
    from autolog.store._fsspec_artifacts import FsspecArtifactRepository
    repository = FsspecArtifactRepository(sys.argv[1])
    repository.put_file(sys.argv[2], "huge.bin")
""")


@pytest.mark.s3
@pytest.mark.slow
def test_kill_9_during_a_multipart_upload_leaves_no_visible_object(s3_server, tmp_path):
    root = s3_server.new_root()
    source = tmp_path / "huge.bin"
    source.write_bytes(os.urandom(60 * MiB))
    environment = {**os.environ, **s3_server.environment(), "AUTOLOG_ARTIFACT_PART_SIZE": str(5 * MiB)}
    child = subprocess.Popen([sys.executable, "-c", _UPLOADER, root, str(source)], env=environment, cwd=REPO)
    client = s3_server.client()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        uploads = client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        mine = [u for u in uploads if u["Key"].startswith(root.split(f"s3://{BUCKET}/", 1)[1])]
        if mine and client.list_parts(Bucket=BUCKET, Key=mine[0]["Key"], UploadId=mine[0]["UploadId"]).get(
            "Parts"
        ):
            break
        time.sleep(0.02)
    assert child.poll() is None, "the upload finished before a part was seen; use a bigger file"
    child.kill()  # SIGKILL: no cleanup runs
    child.wait()
    assert s3_server.keys(root) == []
    assert artifact_repository(root + "").list_artifacts() == []


@pytest.mark.s3
def test_transient_errors_are_retried_and_others_are_not():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 2:
            raise ConnectionResetError("connection reset by peer")
        return "done"

    assert with_retries(flaky, "flaky") == "done" and len(attempts) == 2
    with pytest.raises(NotFoundError):
        with_retries(lambda: (_ for _ in ()).throw(FileNotFoundError("gone")), "missing")


def test_non_s3_fsspec_backends_write_through_a_temporary_key(tmp_path):
    repository = FsspecArtifactRepository(f"file://{tmp_path}/run")
    repository.write_bytes("a/b.txt", b"b")
    assert os.listdir(tmp_path / "run" / "a") == ["b.txt"]
    assert [info.path for info in repository.list_files("")] == ["a/b.txt"]
    with pytest.raises(RuntimeError):
        repository._upload("a/c.txt", lambda handle: (handle.write(b"half"), _raise()))
    assert os.listdir(tmp_path / "run" / "a") == ["b.txt"]


def _raise():
    raise RuntimeError("writer died")


# --- the read cache -------------------------------------------------------------------------------


@pytest.mark.s3
def test_a_second_load_is_served_from_the_cache(s3_server, tracking_dir, model, monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", s3_server.new_root())
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
    estimator, X = model
    with autolog.start_run() as run:
        info = log_model(estimator)
    np.testing.assert_array_equal(load_model(info.model_uri).predict(X), estimator.predict(X))
    for key in s3_server.keys(run.info.artifact_uri):  # gone from the bucket: only the cache has it
        s3_server.client().delete_object(
            Bucket=BUCKET, Key=run.info.artifact_uri.split(f"s3://{BUCKET}/", 1)[1] + "/" + key
        )
    np.testing.assert_array_equal(load_model(info.model_uri).predict(X), estimator.predict(X))


@pytest.mark.s3
def test_a_background_upload_is_awaited_by_reads_in_the_process(
    s3_server, tracking_dir, model, monkeypatch, tmp_path
):
    monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", s3_server.new_root())
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
    estimator, X = model
    with autolog.start_run() as run:
        info = log_model(estimator, wait=False)
    np.testing.assert_array_equal(load_model(info.model_uri).predict(X), estimator.predict(X))
    keys = s3_server.keys(run.info.artifact_uri)
    assert (
        keys == sorted(get_store()._artifact_records(run.info.run_id))
        and f"model/{METADATA_FILE_NAME}" in keys
    )
    with pytest.raises(Exception, match="already has artifacts"):
        log_model(estimator, run_id=run.info.run_id, wait=False)


def test_the_cache_evicts_least_recently_used_blobs(tmp_path):
    source = LocalArtifactRepository(str(tmp_path / "remote"))
    cache = ReadCache(str(tmp_path / "cache"), max_bytes=250)
    records = {}
    for name in ("a", "b", "c"):
        records[name] = source.put_bytes(name.encode() * 100, name)
    cache.fetch(source, "a", records["a"], str(tmp_path / "a1"))
    cache.fetch(source, "b", records["b"], str(tmp_path / "b1"))
    os.utime(cache.blob_path(records["b"].sha256), (1, 1))  # b is now the least recently used
    assert cache.fetch(source, "a", records["a"], str(tmp_path / "a2")) is True
    cache.fetch(source, "c", records["c"], str(tmp_path / "c1"))
    assert not os.path.exists(cache.blob_path(records["b"].sha256))
    assert os.path.exists(cache.blob_path(records["a"].sha256)) and os.path.exists(
        cache.blob_path(records["c"].sha256)
    )
    assert open(tmp_path / "c1", "rb").read() == b"c" * 100


# --- stores that move -----------------------------------------------------------------------------


def _log_models(store_dir, model, count=2) -> list[str]:
    """Log ``count`` models into new runs of the directory store ``store_dir``; their URIs."""
    autolog.set_tracking_uri(str(store_dir))
    try:
        client = Client()
        uris = []
        for _ in range(count):
            run_id = client.create_run("0").info.run_id
            uris.append(log_model(model, run_id=run_id).model_uri)
            client.set_terminated(run_id)
        get_store().close()
    finally:
        autolog.set_tracking_uri(None)
    return uris


def _load_all_in_a_new_process(store_dir, uris, X, *, trusted: bool = False) -> list:
    code = textwrap.dedent("""
        import json, sys, numpy as np, autolog
        from autolog.models import load_model
        autolog.set_tracking_uri(sys.argv[1])
        X = np.array(json.loads(sys.argv[3]))
        trusted = sys.argv[4] == "1"
        print(json.dumps([load_model(uri, trusted=trusted).predict(X).tolist() for uri in json.loads(sys.argv[2])]))
    """)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(store_dir),
            json.dumps(uris),
            json.dumps(X[:5].tolist()),
            "1" if trusted else "0",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    return json.loads(out)


@pytest.mark.slow
def test_a_copied_store_works_after_the_original_is_deleted(tmp_path, model):
    estimator, X = model
    original, copy = tmp_path / "autolog-runs", tmp_path / "elsewhere" / "autolog-runs"
    uris = _log_models(original, estimator)
    shutil.copytree(original, copy)
    shutil.rmtree(original)
    store = open_store(str(copy))
    run = store.get_run(uris[0].split("/")[1])
    assert run.info.artifact_uri.startswith(str(copy) + os.sep)
    assert store.get_experiment("0").artifact_location == str(copy / "artifacts" / "0")
    assert _load_all_in_a_new_process(copy, uris, X) == [estimator.predict(X[:5]).tolist()] * len(uris)
    assert not original.exists()


@pytest.mark.slow
def test_a_store_from_revision_2_with_absolute_locations_migrates_and_moves(tmp_path, model):
    estimator, X = model
    original = tmp_path / "old-store"
    uris = _log_models(original, estimator, count=1)
    db = str(original / "autolog.db")
    _downgrade_to_revision_2(db)
    with sa.create_engine(f"sqlite:///{db}").connect() as connection:
        stored = connection.execute(sa.text("SELECT artifact_uri FROM runs")).scalar()
        assert stored == str(original / "artifacts" / "0" / uris[0].split("/")[1] / "artifacts")
    store = open_store(str(original))
    assert store.get_run(uris[0].split("/")[1]).info.artifact_uri == stored  # migrated on open
    with store._reader().connect() as connection:
        assert (
            connection.execute(sa.text("SELECT artifact_uri FROM runs")).scalar().startswith("artifacts/0/")
        )
    store.close()
    moved = tmp_path / "moved"
    shutil.move(str(original), str(moved))
    assert open_store(str(moved)).get_run(uris[0].split("/")[1]).info.artifact_uri.startswith(str(moved))
    # A store from before model records (revision 2) keeps no record of the model: loading it
    # takes trusted=True (the documented upgrade path; docs/security.md).
    assert _load_all_in_a_new_process(moved, uris, X, trusted=True) == [estimator.predict(X[:5]).tolist()]


def _downgrade_to_revision_2(db_path: str) -> None:
    """The store as revision 2 wrote it: absolute locations, no artifact records."""
    from alembic import command
    from alembic.config import Config

    engine = _engine.create_engine(f"sqlite:///{db_path}")
    with _engine.write_transaction(engine) as connection:
        config = Config()
        config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    engine.dispose()


# --- gc -------------------------------------------------------------------------------------------


def test_gc_deletes_purged_runs_objects(artifact_backend, tracking_dir, request):
    with autolog.start_run() as kept:
        autolog.log_text("keep", "k.txt")
    with autolog.start_run() as doomed:
        autolog.log_text("bye", "d/x.txt")
    client = Client()
    client.delete_run(doomed.info.run_id)
    assert main(["gc", "--yes"]) == 0
    if artifact_backend == "s3":
        s3_server = request.getfixturevalue("s3_server")
        assert s3_server.keys(doomed.info.artifact_uri) == []
        assert s3_server.keys(kept.info.artifact_uri) == ["k.txt"]
    else:
        assert not os.path.exists(os.path.dirname(doomed.info.artifact_uri))
        assert os.path.exists(os.path.join(kept.info.artifact_uri, "k.txt"))


# --- one process logs to S3, another loads ----------------------------------------------------------


@pytest.mark.s3
@pytest.mark.slow
def test_autologged_fit_on_s3_loads_in_another_process(s3_server, tmp_path, monkeypatch, model):
    _estimator, X = model
    root = s3_server.new_root()
    store_dir = tmp_path / "store"
    code = textwrap.dedent("""
        import sys, autolog
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier
        autolog.set_tracking_uri(sys.argv[1])
        autolog.autolog()
        X, y = load_iris(return_X_y=True)
        DecisionTreeClassifier(random_state=0).fit(X, y)
        print(autolog.last_active_run().info.run_id)
    """)
    environment = {
        **os.environ,
        "AUTOLOG_ARTIFACT_ROOT": root,
        "AUTOLOG_ARTIFACT_CACHE_DIR": str(tmp_path / "c"),
    }
    run_id = (
        subprocess.run(
            [sys.executable, "-c", code, str(store_dir)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=environment,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert any(key.startswith("model/") for key in s3_server.keys(f"{root}/0/{run_id}/artifacts"))
    monkeypatch.setenv("AUTOLOG_ARTIFACT_CACHE_DIR", str(tmp_path / "other-cache"))
    predictions = _load_all_in_a_new_process(store_dir, [f"runs:/{run_id}/model"], X)
    assert len(predictions[0]) == 5


def test_cli_download_shows_progress(artifact_backend, tracking_dir, capsys):
    with autolog.start_run() as run:
        autolog.log_text("x" * 5000, "big/report.txt")
    capsys.readouterr()
    assert main(["artifacts", "download", run.info.run_id, "big", "--progress"]) in (0, None)
    out, err = capsys.readouterr()
    assert "download" in err and "100%" in err and "4.88k" in err  # tqdm: bytes, 1024-based units
    assert open(os.path.join(out.strip(), "report.txt")).read() == "x" * 5000
