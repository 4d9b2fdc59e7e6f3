import os
import stat
import threading

import pytest

from autolog.exceptions import InvalidInputError, NotFoundError
from autolog.store import artifact_repository
from autolog.store._artifacts import _atomic_file


@pytest.fixture
def repo(request, tmp_path, artifact_backend):
    """A run's repository on local disk, and again on the S3 endpoint (moto)."""
    if artifact_backend == "s3":
        return artifact_repository(request.getfixturevalue("s3_server").new_root() + "/run/artifacts")
    return artifact_repository(str(tmp_path / "run" / "artifacts"))


@pytest.fixture
def local_repo(tmp_path):
    return artifact_repository(str(tmp_path / "run" / "artifacts"))


def test_write_list_download(repo, tmp_path):
    repo.write_bytes("a.txt", b"hello")
    repo.write_bytes("sub/dir/b.bin", b"\x00\x01")
    infos = repo.list_artifacts()
    assert [(i.path, i.is_dir, i.file_size) for i in infos] == [("a.txt", False, 5), ("sub", True, None)]
    assert [i.path for i in repo.list_artifacts("sub/dir")] == ["sub/dir/b.bin"]
    assert repo.list_artifacts("a.txt") == [] and repo.list_artifacts("missing") == []
    copied = repo.download_artifacts("sub", dst_path=str(tmp_path / "out"))
    assert copied == str(tmp_path / "out" / "sub")
    assert open(os.path.join(copied, "dir", "b.bin"), "rb").read() == b"\x00\x01"
    single = repo.download_artifacts("a.txt")
    assert open(single, "rb").read() == b"hello"
    everything = repo.download_artifacts()
    assert sorted(os.listdir(everything)) == ["a.txt", "sub"]
    with pytest.raises(NotFoundError):
        repo.download_artifacts("nope.txt")


def test_log_artifact_and_artifacts(repo, tmp_path):
    source = tmp_path / "src"
    (source / "inner").mkdir(parents=True)
    (source / "x.txt").write_text("x")
    (source / "inner" / "y.txt").write_text("y")
    assert repo.log_artifact(str(source / "x.txt")) == "x.txt"
    assert repo.log_artifact(str(source / "x.txt"), "plots") == "plots/x.txt"
    assert sorted(repo.log_artifacts(str(source), "copy")) == ["copy/inner/y.txt", "copy/x.txt"]
    assert open(repo.download_artifacts("copy/inner/y.txt")).read() == "y"
    with pytest.raises(NotFoundError):
        repo.log_artifact(str(tmp_path / "missing"))


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../b", "/etc/passwd", "a\\b", "nul\x00l", "C:/x", "a/.."],
)
def test_paths_are_confined(repo, path):
    with pytest.raises(InvalidInputError) as caught:
        repo.write_bytes(path, b"x")
    assert repr(path) in str(caught.value)
    with pytest.raises(InvalidInputError):
        repo.local_path(path)
    with pytest.raises(InvalidInputError):
        repo.list_artifacts(path)
    with pytest.raises(InvalidInputError):
        repo.download_artifacts(path)


def test_symlink_escaping_the_root_is_rejected(local_repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    local_repo.write_bytes("keep.txt", b"k")
    os.symlink(outside, os.path.join(local_repo.root, "link"))
    with pytest.raises(InvalidInputError, match="symlink"):
        local_repo.local_path("link/secret")
    with pytest.raises(InvalidInputError):
        local_repo.write_bytes("link/new.txt", b"x")
    assert not (outside / "new.txt").exists()
    assert [info.path for info in local_repo.list_artifacts()] == ["keep.txt"]
    os.symlink(local_repo.local_path("keep.txt"), os.path.join(local_repo.root, "inside"))
    with pytest.raises(InvalidInputError, match="symlink"):
        local_repo.local_path("inside")  # no symlink is followed, even one that stays inside


def test_nothing_is_world_writable(local_repo, tmp_path):
    old = os.umask(0)
    try:
        fresh = artifact_repository(str(tmp_path / "deep" / "a" / "b"))
        fresh.write_bytes("x/y.txt", b"1")
        fresh.download_artifacts("x", dst_path=str(tmp_path / "dl" / "z"))
    finally:
        os.umask(old)
    for directory, dirs, files in os.walk(tmp_path / "deep"):
        for name in dirs + files + [""]:
            mode = os.stat(os.path.join(directory, name)).st_mode
            assert not mode & stat.S_IWOTH and not mode & stat.S_IWGRP, (directory, name, oct(mode))
    assert stat.S_IMODE(os.stat(fresh.local_path("x/y.txt")).st_mode) == 0o644


def test_writes_are_atomic_and_temp_files_cleaned(local_repo):
    local_repo.write_bytes("f.txt", b"old")
    with pytest.raises(RuntimeError), _atomic_file(local_repo.local_path("f.txt")) as handle:
        handle.write(b"half")
        raise RuntimeError("writer died")
    assert open(local_repo.local_path("f.txt"), "rb").read() == b"old"
    assert os.listdir(local_repo.root) == ["f.txt"]


def test_readers_never_see_half_a_file(local_repo):
    payloads = [bytes([n]) * 200_000 for n in range(1, 6)]
    local_repo.write_bytes("big.bin", payloads[0])
    seen, stop = set(), threading.Event()

    def read() -> None:
        while not stop.is_set():
            with open(local_repo.local_path("big.bin"), "rb") as handle:
                seen.add(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(10):
        for payload in payloads:
            local_repo.write_bytes("big.bin", payload)
    stop.set()
    reader.join()
    assert seen <= set(payloads)


def test_store_artifacts_for_a_run(artifact_backend, store):
    run = store.create_run("0")
    repository = store.artifacts(run.info.run_id)
    repository.write_bytes("model/model.pkl", b"m")
    if repository.local_path("") is not None:  # a remote repository is rooted at a URL
        assert repository.root == run.info.artifact_uri
    assert store.artifacts(run.info.run_id).list_artifacts()[0].path == "model"
    with pytest.raises(NotFoundError):
        store.artifacts("d" * 32)
