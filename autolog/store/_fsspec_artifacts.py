"""Artifacts on any fsspec URL: ``s3://`` (s3fs), ``gs://`` (gcsfs), ``az://`` (adlfs), ``file://``...

Imported only when a run's artifact root is such a URL; fsspec and the backend's package come
with ``pip install 'autolog[s3]'`` (or the backend's own package). Credentials and endpoints are
found the backend's usual way (``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, instance roles, ...).

Uploads stream in parts of ``AUTOLOG_ARTIFACT_PART_SIZE`` bytes (default 8 MiB), so memory stays
bounded whatever the file size. On S3 (``_s3_transfers``) a file goes straight to its final key
in one ``PutObject``, or a multipart upload with parts sent concurrently that becomes visible only
when it is completed (an abandoned one is aborted or, after a crash, never completed); downloads
are concurrent ranged reads; no request checks the bucket or lists anything on the way. Other
backends write to a ``.tmp-`` key and move it into place. Transient
errors are retried with backoff, by the backend (botocore's standard retry mode on S3) and by a
whole-file retry here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlparse

from autolog._core._entities import FileInfo
from autolog._core._exceptions import NotFoundError, StoreError
from autolog._files import make_dirs
from autolog.store._artifacts import (
    TEMP_PREFIX,
    ArtifactLedger,
    ArtifactRecord,
    ArtifactRepository,
    Progress,
    _atomic_file,
    _join,
    check_relative_path,
)

DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part (but the last)
RETRY_ATTEMPTS = 3
_READ_CHUNK = 1024 * 1024
_MULTIPART_ATOMIC = ("s3", "s3a")
_T = TypeVar("_T")


def part_size() -> int:
    """``AUTOLOG_ARTIFACT_PART_SIZE`` in bytes (at least 5 MiB), default 8 MiB."""
    raw = os.environ.get("AUTOLOG_ARTIFACT_PART_SIZE")
    try:
        return max(MIN_PART_SIZE, int(raw)) if raw else DEFAULT_PART_SIZE
    except ValueError:
        return DEFAULT_PART_SIZE


def _filesystem(root: str):
    try:
        import fsspec
    except ImportError:
        raise StoreError(f"artifact root {root!r} needs fsspec: pip install 'autolog[s3]'") from None
    protocol = urlparse(root).scheme.lower()
    options: dict = {}
    if protocol in ("s3", "s3a"):
        options["config_kwargs"] = {"retries": {"max_attempts": 5, "mode": "standard"}}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_url"] = endpoint
    try:
        fs, path = fsspec.core.url_to_fs(root, **options)
    except ImportError as exc:
        raise StoreError(
            f"artifact root {root!r} needs the fsspec backend for {protocol!r} ({exc}); "
            "for S3: pip install 'autolog[s3]'"
        ) from None
    return fs, path.rstrip("/")


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))


def with_retries(action: Callable[[], _T], what: str) -> _T:
    """Run ``action``; retry transient errors (network, timeouts, 5xx) with backoff."""
    for attempt in range(RETRY_ATTEMPTS):
        try:
            return action()
        except Exception as exc:
            if not _is_transient(exc) or attempt == RETRY_ATTEMPTS - 1:
                if isinstance(exc, FileNotFoundError):
                    raise NotFoundError(f"{what}: not found") from exc
                raise StoreError(f"{what} failed: {exc}") from exc
            time.sleep(0.2 * 4**attempt)
    raise AssertionError("unreachable")


class FsspecArtifactRepository(ArtifactRepository):
    """Artifacts under an fsspec URL such as ``s3://bucket/prefix/1/<run_id>/artifacts``.

    Parameters
    ----------
    root : str
        The run's artifact root URL.
    ledger : ArtifactLedger, optional
        See :class:`ArtifactRepository`.
    """

    uses_read_cache = True

    def __init__(self, root: str, *, ledger: ArtifactLedger | None = None):
        super().__init__(root.rstrip("/"), ledger=ledger)
        self.fs, self._base = _filesystem(self.root)
        self.part_size = part_size()
        self._multipart_atomic = urlparse(self.root).scheme.lower() in _MULTIPART_ATOMIC
        self._s3 = _s3_transfers(self.fs, self.part_size) if self._multipart_atomic else None

    def _key(self, relative: str) -> str:
        return f"{self._base}/{relative}" if relative else self._base

    def _relative(self, key: str) -> str:
        key = key.rstrip("/")
        base = self._base.split("://", 1)[-1]
        key = key.split("://", 1)[-1]
        return key[len(base) :].lstrip("/")

    # --- writes ----------------------------------------------------------------------------------

    def put_bytes(self, data: bytes, artifact_path: str) -> ArtifactRecord:
        def upload() -> None:
            if self._s3 is not None:
                self._s3.put_bytes(self._key(artifact_path), data)
                self.fs.invalidate_cache(self._key(artifact_path))
            else:
                self._upload(artifact_path, lambda out: out.write(data))

        with_retries(upload, f"uploading {artifact_path!r} to {self.root}")
        return ArtifactRecord(artifact_path, len(data), hashlib.sha256(data).hexdigest())

    def put_file(self, local_file: str, artifact_path: str) -> ArtifactRecord:
        def upload() -> ArtifactRecord:
            with open(local_file, "rb") as source:
                if self._s3 is not None:
                    size, digest = self._s3.put_stream(self._key(artifact_path), source)
                    self.fs.invalidate_cache(self._key(artifact_path))
                    return ArtifactRecord(artifact_path, size, digest)
                # Small reads: the backend's buffer assembles each part (one part in memory).
                size, digest = self._upload(artifact_path, lambda out: _copy(source, out, _READ_CHUNK))
            return ArtifactRecord(artifact_path, size, digest)

        return with_retries(upload, f"uploading {local_file!r} to {self.root}/{artifact_path}")

    def _upload(self, artifact_path: str, write: Callable) -> tuple[int, str]:
        final = self._key(artifact_path)
        head, _, name = final.rpartition("/")
        temp = f"{head}/{TEMP_PREFIX}{name}.{secrets.token_hex(6)}"
        try:
            result = self._write_then_commit(temp, write)
            self.fs.mv(temp, final)
        except BaseException:
            _quietly(lambda: self.fs.rm(temp))
            raise
        return result

    def _write_then_commit(self, key: str, write: Callable) -> tuple[int, str]:
        """Write through a buffered file; ``close`` commits, ``discard`` aborts (never a partial commit)."""
        self.fs.makedirs(key.rpartition("/")[0], exist_ok=True)
        handle = self.fs.open(key, "wb", block_size=self.part_size)
        try:
            result = write(handle)
        except BaseException:
            _quietly(getattr(handle, "discard", lambda: None))
            raise
        handle.close()
        self.fs.invalidate_cache(key)
        return result if isinstance(result, tuple) else (0, "")

    # --- reads -----------------------------------------------------------------------------------

    def get_file(
        self, artifact_path: str, local_file: str, *, progress: Progress | None = None
    ) -> ArtifactRecord:
        key = self._key(check_relative_path(artifact_path))

        def download() -> ArtifactRecord:
            make_dirs(os.path.dirname(local_file) or ".")
            sent: list[int] = []

            def counted(count: int) -> None:
                sent.append(count)
                if progress is not None:
                    progress(count)

            self.fs.invalidate_cache(key)  # another process may have replaced it
            try:
                if self._s3 is not None:
                    with _atomic_file(local_file) as handle:
                        size, digest = self._s3.get_stream(key, handle, counted)
                    return ArtifactRecord(artifact_path, size, digest)
                with (
                    self.fs.open(key, "rb", block_size=self.part_size, cache_type="none") as source,
                    _atomic_file(local_file) as handle,
                ):
                    size, digest = _copy(source, handle, self.part_size, counted)
            except BaseException:
                if progress is not None and sent:
                    progress(-sum(sent))  # a retry starts the file again
                raise
            return ArtifactRecord(artifact_path, size, digest)

        return with_retries(download, f"downloading {artifact_path!r} from {self.root}")

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = check_relative_path(path or "")
        self.wait_for_uploads()
        try:
            entries = self.fs.ls(self._key(relative), detail=True, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        infos = {}
        for entry in entries:
            child = self._relative(entry["name"])
            name = child.rsplit("/", 1)[-1]
            if child == relative or not child or name.startswith(TEMP_PREFIX):
                continue  # ls of a file lists the file itself
            is_dir = entry.get("type") == "directory"
            infos[child] = FileInfo(child, is_dir, None if is_dir else entry.get("size"))
        return [infos[key] for key in sorted(infos)]

    def list_files(self, path: str = "") -> list[FileInfo]:
        relative = check_relative_path(path)
        self.wait_for_uploads()
        self.fs.invalidate_cache(self._key(relative))
        try:
            found = self.fs.find(self._key(relative), detail=True)
        except FileNotFoundError:
            return []
        files = []
        for key, entry in found.items():
            child = self._relative(key)
            if entry.get("type") == "directory" or any(
                part.startswith(TEMP_PREFIX) for part in child.split("/")
            ):
                continue
            if relative and child != relative and not child.startswith(relative + "/"):
                continue  # find("a") may also match the sibling key "ab"
            files.append(FileInfo(child, False, entry.get("size")))
        return sorted(files, key=lambda info: info.path)

    def delete_all(self) -> None:
        self.wait_for_uploads()
        try:
            self.fs.rm(self._base, recursive=True)
        except FileNotFoundError:
            pass
        self.fs.invalidate_cache(self._base)


def _s3_transfers(fs, part_size: int):
    from autolog.store._s3_transfers import S3Transfers, transfer_concurrency

    return S3Transfers(fs, part_size, transfer_concurrency())


def _copy(reader, writer, chunk_size: int, progress: Progress | None = None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := reader.read(chunk_size):
        writer.write(chunk)
        digest.update(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return size, digest.hexdigest()


def _quietly(action: Callable) -> None:
    try:
        action()
    except Exception:
        pass


__all__ = ["FsspecArtifactRepository", "_join", "part_size", "with_retries"]
