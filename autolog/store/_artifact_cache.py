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

import os
import secrets
import shutil
import threading
from typing import Optional

from autolog._files import make_dirs
from autolog.store._artifacts import ArtifactRecord, ArtifactRepository, Progress, _check

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


def read_cache() -> "ReadCache":
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
        expected: Optional[ArtifactRecord],
        local_file: str,
        progress: Optional[Progress] = None,
    ) -> bool:
        """Put the artifact's content at ``local_file``; returns whether it came from the cache."""
        if expected is not None and self._copy_hit(expected, local_file, progress):
            return True
        if self.max_bytes == 0 or (expected is not None and expected.size > self.max_bytes):
            received = repository.get_file(artifact_path, local_file, progress=progress)
            if expected is not None:
                _check(expected, received, repository, local_file)
            return False
        make_dirs(os.path.join(self.directory, "tmp"))
        temp = os.path.join(self.directory, "tmp", f"{secrets.token_hex(8)}")
        try:
            received = repository.get_file(artifact_path, temp, progress=progress)
            if expected is not None:
                _check(expected, received, repository, temp)
            blob = self.blob_path(received.sha256)
            make_dirs(os.path.dirname(blob))
            os.replace(temp, blob)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        shutil.copyfile(blob, local_file)
        self._evict()
        return False

    def _copy_hit(self, expected: ArtifactRecord, local_file: str, progress) -> bool:
        blob = self.blob_path(expected.sha256)
        try:
            if os.path.getsize(blob) != expected.size:
                return False
            shutil.copyfile(blob, local_file)
            os.utime(blob)  # most recently used
        except OSError:  # absent, or evicted by another process meanwhile
            return False
        if progress is not None:
            progress(expected.size)
        return True

    def _evict(self) -> None:
        blobs = []
        for directory, _subdirs, files in os.walk(os.path.join(self.directory, "blobs")):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                blobs.append((status.st_mtime, status.st_size, path))
        total = sum(size for _mtime, size, _path in blobs)
        for _mtime, size, path in sorted(blobs):
            if total <= self.max_bytes:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
