"""Artifact storage in a local directory: atomic writes, confined paths, no world-writable files.

Confinement: a repository is anchored at a trusted directory (the store's artifact root, resolved
once), and every component from there down to a file is checked with ``lstat``: a symlink
anywhere on the way (the run's own ``artifacts`` folder included) is refused, never followed.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from typing import Iterator, Optional, Sequence
from urllib.parse import unquote, urlparse

from autolog._files import FILE_MODE, make_dirs, open_no_follow
from autolog._core._exceptions import InvalidInputError, NotFoundError, StoreError
from autolog._core._validation import storable_text
from autolog._core._entities import FileInfo

_COPY_CHUNK = 1024 * 1024
_umask_cache: list[int] = []


def local_path_from_uri(uri: str) -> str:
    """The local path behind a plain path or ``file:`` URI; other schemes are not supported."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise StoreError(f"artifact URI {uri!r} names a remote host; only local files work")
        return os.path.abspath(unquote(parsed.path))
    scheme = urlparse(uri).scheme
    if len(scheme) > 1:  # one letter is a Windows drive
        raise StoreError(f"artifact URI {uri!r}: only local artifact storage is supported")
    return os.path.abspath(uri)


def _umask() -> int:
    if not _umask_cache:
        # Read without changing it (os.umask would race with other threads creating files).
        try:
            with open("/proc/self/status") as status:
                line = next(line for line in status if line.startswith("Umask:"))
            _umask_cache.append(int(line.split()[1], 8))
        except (OSError, StopIteration, ValueError):
            current = os.umask(0o022)
            os.umask(current)
            _umask_cache.append(current)
    return _umask_cache[0]


def check_relative_path(path: str) -> str:
    """Validate an artifact path relative to a root; returns it normalized with ``/``."""
    if not isinstance(path, str):
        raise InvalidInputError(f"artifact path must be a string, got {path!r}")
    if "\x00" in path or "\\" in path:
        raise InvalidInputError(f"invalid artifact path {path!r}: no NUL or backslash")
    storable_text(path, "artifact path")  # an unpaired surrogate has no file name
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InvalidInputError(f"invalid artifact path {path!r}: must be relative")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidInputError(f"invalid artifact path {path!r}: '..' is not allowed")
    return "/".join(parts)


def confined_path(anchor: str, parts: Sequence[str], shown: str) -> str:
    """``anchor/part/part/...``, refusing any existing component that is a symlink.

    ``anchor`` is trusted as it is (already resolved); below it nothing is followed: each
    component that exists is ``lstat``-ed, and the walk stops checking at the first missing one
    (nothing below it exists either). ``shown`` names the path in the error.
    """
    path = anchor
    for index, part in enumerate(parts):
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return os.path.join(path, *parts[index + 1:])
        except NotADirectoryError:
            raise InvalidInputError(f"invalid artifact path {shown!r}: a parent of it is a file") from None
        if stat.S_ISLNK(mode):
            raise InvalidInputError(
                f"invalid artifact path {shown!r}: {part!r} on the way is a symlink (it could lead "
                "outside the run); symlinks are never followed"
            )
    return path


def run_anchor(run_root: str, store_root: Optional[str]) -> str:
    """The trusted directory a run's artifact root is confined under: the store's artifact root
    when the run's folder is inside it, else (an experiment with its own artifact location) the
    folder holding ``<run_id>/artifacts``."""
    run_root = os.path.abspath(run_root)
    if store_root is not None:
        store_root = os.path.abspath(store_root)
        if run_root.startswith(store_root.rstrip(os.sep) + os.sep):
            return store_root
    return os.path.dirname(os.path.dirname(run_root))


class ArtifactRepository:
    """The artifacts of one run, stored as plain files under ``root``.

    Parameters
    ----------
    root : str
        Local directory (or ``file:`` URI) of the run's artifacts; created on the first write.
    anchor : str, optional
        A trusted directory above ``root`` (the store's artifact root): the components from it
        down to ``root`` are checked too, so a run folder replaced by a symlink is refused.
        Default: ``root`` itself.
    """

    def __init__(self, root: str, *, anchor: Optional[str] = None):
        self.root = local_path_from_uri(root)
        anchor = self.root if anchor is None else local_path_from_uri(anchor)
        relative = os.path.relpath(self.root, anchor)
        if relative == os.curdir:
            self._root_parts: list = []
        elif relative == os.pardir or relative.startswith(os.pardir + os.sep):
            anchor, self._root_parts = self.root, []
        else:
            self._root_parts = relative.split(os.sep)
        self._anchor = os.path.realpath(anchor)

    def __repr__(self) -> str:
        return f"ArtifactRepository({self.root!r})"

    # --- paths ---------------------------------------------------------------------------------

    def local_path(self, path: str = "") -> str:
        """The on-disk path of ``path`` inside the root; rejects anything that could escape it.

        No symlink is followed: one anywhere from the store's artifact root down to ``path``
        raises InvalidInputError.
        """
        relative = check_relative_path(path)
        parts = self._root_parts + (relative.split("/") if relative else [])
        return confined_path(self._anchor, parts, path)

    def _destination(self, artifact_path: str) -> str:
        relative = check_relative_path(artifact_path)
        if not relative:
            raise InvalidInputError(f"invalid artifact path {artifact_path!r}: names no file")
        destination = self.local_path(relative)
        try:
            make_dirs(os.path.dirname(destination))
        except (FileExistsError, NotADirectoryError):
            raise InvalidInputError(
                f"invalid artifact path {artifact_path!r}: a parent of it is an existing file"
            ) from None
        self.local_path(os.path.dirname(relative))  # re-check: a parent may be a symlink
        if os.path.isdir(destination):
            raise InvalidInputError(f"artifact path {artifact_path!r} is a directory")
        return destination

    # --- writes --------------------------------------------------------------------------------

    def write_bytes(self, artifact_path: str, data: bytes) -> str:
        """Atomically write ``data`` to ``artifact_path`` (a file path relative to the root).

        Returns the artifact path as stored.
        """
        destination = self._destination(artifact_path)
        with _atomic_file(destination) as handle:
            handle.write(data)
        return check_relative_path(artifact_path)

    def log_artifact(self, local_path: str, artifact_path: str | None = None) -> str:
        """Copy one local file into the run, under the directory ``artifact_path``.

        Returns the artifact path of the copied file.
        """
        if not os.path.isfile(local_path):
            raise NotFoundError(f"no such file to log as an artifact: {local_path!r}")
        target = _join(artifact_path, os.path.basename(local_path))
        destination = self._destination(target)
        with open(local_path, "rb") as source, _atomic_file(destination) as handle:
            shutil.copyfileobj(source, handle, _COPY_CHUNK)
        return target

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> list[str]:
        """Copy the files of a local directory tree into the run, under ``artifact_path``."""
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"no such directory to log as artifacts: {local_dir!r}")
        logged = []
        for directory, _subdirs, files in os.walk(local_dir):
            relative = os.path.relpath(directory, local_dir).replace(os.sep, "/")
            for name in sorted(files):
                subdir = _join(artifact_path, "" if relative == "." else relative)
                logged.append(self.log_artifact(os.path.join(directory, name), subdir or None))
        return logged

    # --- reads ---------------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The direct children of ``path`` (a directory), sorted by name; ``[]`` if none."""
        relative = check_relative_path(path or "")
        directory = self.local_path(relative)
        if not os.path.isdir(directory):
            return []
        infos = []
        for entry in sorted(os.scandir(directory), key=lambda item: item.name):
            if entry.name.startswith(".tmp-"):
                continue  # an atomic write in progress
            child = _join(relative, entry.name)
            if entry.is_symlink():
                continue  # never followed, so not part of the run
            is_dir = entry.is_dir(follow_symlinks=False)
            size = None if is_dir else entry.stat(follow_symlinks=False).st_size
            infos.append(FileInfo(child, is_dir, size))
        return infos

    def download_artifacts(self, path: str = "", dst_path: str | None = None) -> str:
        """Copy a file or directory of the run to ``dst_path`` (a new temp dir if ``None``).

        Returns the local path of the copy.
        """
        source = self.local_path(path)
        if not os.path.exists(source):
            raise NotFoundError(f"no artifact {path!r} in {self.root}")
        destination_dir = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp()
        make_dirs(destination_dir)
        relative = check_relative_path(path)
        name = relative.rsplit("/", 1)[-1] if relative else ""
        target = os.path.join(destination_dir, name) if name else destination_dir
        if os.path.isdir(source):
            for file_path in self._files_under(relative):
                inner = file_path[len(relative):].lstrip("/") if relative else file_path
                _copy_atomically(self.local_path(file_path), os.path.join(target, inner))
            make_dirs(target)
        else:
            _copy_atomically(source, target)
        return target

    def _files_under(self, relative: str) -> Iterator[str]:
        for info in self.list_artifacts(relative or None):
            if info.is_dir:
                yield from self._files_under(info.path)
            else:
                yield info.path


def _join(*parts: str | None) -> str:
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))


def _copy_atomically(source: str, destination: str) -> None:
    make_dirs(os.path.dirname(destination))
    with open_no_follow(source) as reader, _atomic_file(destination) as handle:
        shutil.copyfileobj(reader, handle, _COPY_CHUNK)


class _atomic_file:
    """Write to a temp file beside ``destination``; ``os.replace`` it there only on success."""

    def __init__(self, destination: str):
        self.destination = destination

    def __enter__(self):
        directory, name = os.path.split(self.destination)
        descriptor, self.temp_path = tempfile.mkstemp(prefix=f".tmp-{name}.", dir=directory)
        self.handle = os.fdopen(descriptor, "wb")
        return self.handle

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self.handle.close()
            if exc_type is None:
                os.chmod(self.temp_path, FILE_MODE & ~_umask() & ~stat.S_IWOTH)
                os.replace(self.temp_path, self.destination)
        finally:
            if os.path.exists(self.temp_path):
                os.unlink(self.temp_path)
