"""The local read cache of remote artifacts: content-addressed by sha256, size-capped, LRU.

A remote file whose sha256 the store recorded is downloaded (and verified) once into
``<cache>/blobs/<sha256[:2]>/<sha256>``; later downloads of the same content, from any run or
store, copy the blob instead. A hit touches the blob's mtime; when the cache grows past its cap
the least recently used blobs go. The content address makes a blob valid forever: there is
nothing to invalidate.

``AUTOLOG_ARTIFACT_CACHE_DIR`` (default ``$XDG_CACHE_HOME/autolog/artifacts`` or
``~/.cache/autolog/artifacts``) and ``AUTOLOG_ARTIFACT_CACHE_SIZE`` (bytes, default 5 GiB; ``0``
disables the cache) are read when the cache is first used.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from autolog._files import make_dirs
from autolog.store._artifact_files import ArtifactRecord, Progress, check_received

if TYPE_CHECKING:
    from autolog.store._artifacts import ArtifactRepository

DEFAULT_MAX_BYTES = 5 * 1024**3
_lock = threading.Lock()
_caches: dict = {}


def default_directory() -> str:
    configured = os.environ.get("AUTOLOG_ARTIFACT_CACHE_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "autolog", "artifacts")


def _max_bytes() -> int:
    raw = os.environ.get("AUTOLOG_ARTIFACT_CACHE_SIZE")
    try:
        return max(0, int(raw)) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def read_cache() -> ReadCache:
    """The cache for the current settings (one object per directory and cap)."""
    key = (default_directory(), _max_bytes())
    with _lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = ReadCache(*key)
        return cache


class ReadCache:
    """A directory of verified blobs named by their sha256.

    Parameters
    ----------
    directory : str
        Where the blobs live (created on first use).
    max_bytes : int
        Size cap; 0 disables caching (every fetch downloads).
    """

    def __init__(self, directory: str, max_bytes: int):
        self.directory = directory
        self.max_bytes = max_bytes

    def blob_path(self, sha256: str) -> str:
        return os.path.join(self.directory, "blobs", sha256[:2], sha256)

    def fetch(
        self,
        repository: ArtifactRepository,
        artifact_path: str,
        expected: ArtifactRecord | None,
        local_file: str,
        progress: Progress | None = None,
    ) -> bool:
        """Put the artifact's content at ``local_file``; returns whether it came from the cache."""
        if expected is not None and self._copy_hit(expected, local_file, progress):
            return True
        if self.max_bytes == 0 or (expected is not None and expected.size > self.max_bytes):
            received = repository.get_file(artifact_path, local_file, progress=progress)
            if expected is not None:
                check_received(expected, received, repository, local_file)
            return False
        make_dirs(os.path.join(self.directory, "tmp"))
        temp = os.path.join(self.directory, "tmp", f"{secrets.token_hex(8)}")
        try:
            received = repository.get_file(artifact_path, temp, progress=progress)
            if expected is not None:
                check_received(expected, received, repository, temp)
            blob = self.blob_path(received.sha256)
            make_dirs(os.path.dirname(blob))
            os.replace(temp, blob)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        _link_or_copy(blob, local_file)
        self._evict()
        return False

    def directory_for(
        self, repository: ArtifactRepository, path: str, records: Mapping[str, ArtifactRecord]
    ) -> str | None:
        """A read-only local directory holding the files ``records`` lists under ``path``.

        Built once from verified blobs (hard links) under ``<cache>/trees/<digest of the
        records>`` and reused: a cached ``load_model`` is a database query and a ``stat``.
        ``None`` when the cache is disabled or the files do not fit in it.
        """
        if self.max_bytes == 0 or sum(r.size for r in records.values()) > self.max_bytes:
            return None
        inner = {name[len(path) :].lstrip("/") if path else name: record for name, record in records.items()}
        tree = os.path.join(self.directory, "trees", _tree_key(inner))
        if os.path.isdir(tree):
            os.utime(tree)
            return tree
        make_dirs(os.path.join(self.directory, "tmp"))
        staging = os.path.join(self.directory, "tmp", f"tree-{secrets.token_hex(8)}")
        try:
            for name, record in sorted(inner.items()):
                target = os.path.join(staging, *name.split("/"))
                make_dirs(os.path.dirname(target))
                self.fetch(repository, record.path, record, target)
            make_dirs(os.path.dirname(tree))
            os.rename(staging, tree)
        except OSError:
            if not os.path.isdir(tree):  # not another process that won the race
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return tree

    def _copy_hit(self, expected: ArtifactRecord, local_file: str, progress) -> bool:
        blob = self.blob_path(expected.sha256)
        try:
            if os.path.getsize(blob) != expected.size:
                return False
            _link_or_copy(blob, local_file)
            os.utime(blob)  # most recently used
        except OSError:  # absent, or evicted by another process meanwhile
            return False
        if progress is not None:
            progress(expected.size)
        return True

    def _evict(self) -> None:
        """Remove the least recently used blobs and trees until the cache fits its cap.

        A tree's files are hard links to blobs, so a tree counts only the files no blob shares.
        """
        entries = []
        for directory, _subdirs, files in os.walk(os.path.join(self.directory, "blobs")):
            for name in files:
                path = os.path.join(directory, name)
                status = _stat(path)
                if status is not None:
                    entries.append((status.st_mtime, status.st_size, path))
        trees = os.path.join(self.directory, "trees")
        for name in os.listdir(trees) if os.path.isdir(trees) else ():
            path = os.path.join(trees, name)
            status = _stat(path)
            if status is not None:
                entries.append((status.st_mtime, _unshared_size(path), path))
        total = sum(size for _mtime, size, _path in entries)
        for _mtime, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            try:
                shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
            except OSError:
                continue
            total -= size


def _link_or_copy(blob: str, local_file: str) -> None:
    """A copy of the blob at ``local_file``: a hard link inside the cache, else a real copy.

    Copies leave the cache: a user may modify a downloaded file, which must not alter the blob.
    """
    if local_file.startswith(os.path.dirname(os.path.dirname(os.path.dirname(blob))) + os.sep):
        try:
            os.link(blob, local_file)
            return
        except OSError:
            pass
    shutil.copyfile(blob, local_file)


def _tree_key(records: Mapping[str, ArtifactRecord]) -> str:
    digest = hashlib.sha256()
    for name, record in sorted(records.items()):
        digest.update(f"{name}\0{record.size}\0{record.sha256}\n".encode())
    return digest.hexdigest()


def _stat(path: str):
    try:
        return os.stat(path)
    except OSError:
        return None


def _unshared_size(tree: str) -> int:
    size = 0
    for directory, _subdirs, files in os.walk(tree):
        for name in files:
            status = _stat(os.path.join(directory, name))
            if status is not None and status.st_nlink == 1:
                size += status.st_size
    return size
