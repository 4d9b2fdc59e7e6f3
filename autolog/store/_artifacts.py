"""Artifact repositories: the interface, the local-disk implementation and the choice by URI.

:class:`ArtifactRepository` is the interface every artifact backend implements (local disk here,
any fsspec URL in ``_fsspec_artifacts``, an HTTP proxy in the server). Implementations provide
five storage hooks (``put_file``, ``put_bytes``, ``get_file``, ``list_artifacts``/``list_files``,
``delete_all``); the interface builds the public operations on them and adds what every backend
shares: path validation, the size/sha256 records kept in the metadata store (the *ledger*), their
verification on download, and the local read cache of remote artifacts.
"""

from __future__ import annotations

import abc
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import unquote, urlparse

from autolog._core._entities import FileInfo
from autolog._core._exceptions import (
    InvalidInputError,
    NotFoundError,
    StoreError,
)
from autolog._core._validation import storable_text
from autolog._files import FILE_MODE, make_dirs, open_no_follow
from autolog.store._artifact_cache import read_cache
from autolog.store._artifact_files import (
    TEMP_PREFIX,
    ArtifactLedger,
    ArtifactRecord,
    Progress,
    check_received,
)

_COPY_CHUNK = 1024 * 1024
_umask_cache: list[int] = []

# --- URIs and paths ------------------------------------------------------------------------------


def is_local_uri(uri: str) -> bool:
    """Whether ``uri`` is a plain path or a ``file:`` URI naming this host."""
    if uri.startswith("file:"):
        return urlparse(uri).netloc in ("", "localhost")
    # No colon, no scheme (urlparse's rule): the common local path skips the parse.
    return ":" not in uri or len(urlparse(uri).scheme) <= 1  # one letter is a Windows drive


def local_path_from_uri(uri: str) -> str:
    """The local path behind a plain path or ``file:`` URI; ``StoreError`` for other schemes."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise StoreError(f"artifact URI {uri!r} names a remote host; only local files work")
        return os.path.abspath(unquote(parsed.path))
    if not is_local_uri(uri):
        raise StoreError(f"artifact URI {uri!r} is not a local path")
    return os.path.abspath(uri)


def normalize_artifact_root(uri: str) -> str:
    """A local root as an absolute path; a remote URL (``s3://bucket/prefix``) without a trailing ``/``."""
    if is_local_uri(uri):
        return local_path_from_uri(uri)
    parsed = urlparse(uri)
    if not parsed.netloc:
        raise InvalidInputError(f"artifact root {uri!r} names no bucket or host")
    return uri.rstrip("/")


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


def _file_path(artifact_path: str) -> str:
    relative = check_relative_path(artifact_path)
    if not relative:
        raise InvalidInputError(f"invalid artifact path {artifact_path!r}: names no file")
    return relative


# --- the interface -------------------------------------------------------------------------------


class ArtifactRepository(abc.ABC):
    """The artifacts of one run under a root URI: the interface every backend implements.

    :func:`autolog.store._repositories.artifact_repository` picks the implementation for a root.

    Parameters
    ----------
    root : str
        The run's artifact root (local path, ``file:`` URI or a backend's URL).
    ledger : ArtifactLedger, optional
        Records each written file's size and sha256 and is consulted to verify downloads. Without
        one nothing is recorded or verified.

    Notes
    -----
    Implementations provide the storage hooks :meth:`put_file`, :meth:`put_bytes`,
    :meth:`get_file`, :meth:`list_artifacts`, :meth:`list_files` and :meth:`delete_all` (and
    :meth:`local_path` when the files are on this machine's disk). Each hook receives a path
    already checked by :func:`check_relative_path`. ``put_*`` must be atomic: a reader sees the
    old object, or no object, or the complete new one, never part of it; names starting with
    ``.tmp-`` are reserved for writes in progress and never listed.
    """

    #: Whether downloads go through the local content-addressed cache (remote backends).
    uses_read_cache = False

    def __init__(self, root: str, *, ledger: ArtifactLedger | None = None):
        self.root = root
        self.ledger = ledger

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r})"

    # --- storage hooks (implementations) ---------------------------------------------------------

    @abc.abstractmethod
    def put_file(self, local_file: str, artifact_path: str) -> ArtifactRecord:
        """Store the local file ``local_file`` atomically as ``artifact_path``.

        Returns
        -------
        ArtifactRecord
            Size and sha256 of the bytes stored, computed while they were read (one pass).
        """

    @abc.abstractmethod
    def put_bytes(self, data: bytes, artifact_path: str) -> ArtifactRecord:
        """Store ``data`` atomically as ``artifact_path``; returns its record."""

    @abc.abstractmethod
    def get_file(
        self, artifact_path: str, local_file: str, *, progress: Progress | None = None
    ) -> ArtifactRecord:
        """Copy the artifact file ``artifact_path`` to ``local_file`` (created atomically).

        Streams in bounded memory, calling ``progress`` with each chunk's size. Returns the size
        and sha256 of the bytes received; ``NotFoundError`` if there is no such file.
        """

    @abc.abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The direct children of the directory ``path``, sorted by name; ``[]`` if none."""

    @abc.abstractmethod
    def list_files(self, path: str = "") -> list[FileInfo]:
        """Every file at or under ``path`` (the file itself when ``path`` names one), sorted."""

    @abc.abstractmethod
    def delete_all(self) -> None:
        """Delete every artifact of the run (the whole root); nothing if there is none."""

    def local_path(self, path: str = "") -> str | None:
        """The on-disk path of ``path`` when the artifacts are local files, else ``None``."""
        check_relative_path(path)
        return None

    # --- operations ------------------------------------------------------------------------------

    def write_bytes(self, artifact_path: str, data: bytes, *, wait: bool = True) -> str:
        """Atomically write ``data`` to the file ``artifact_path``; returns the path as stored.

        With ``wait=False`` a remote backend uploads in the background thread, as
        :meth:`log_artifacts` does; local repositories always write at once.
        """
        relative = _file_path(artifact_path)
        data = bytes(data)
        if not wait and self.uses_read_cache:
            from autolog.store._uploads import background_uploads

            background_uploads().submit(self.root, lambda: self._record([self.put_bytes(data, relative)]))
        else:
            self._record([self.put_bytes(data, relative)])
        return relative

    def log_artifact(self, local_path: str, artifact_path: str | None = None) -> str:
        """Copy one local file into the run, under the directory ``artifact_path``.

        Returns the artifact path of the copied file.
        """
        if not os.path.isfile(local_path):
            raise NotFoundError(f"no such file to log as an artifact: {local_path!r}")
        target = _file_path(_join(artifact_path, os.path.basename(local_path)))
        self._record([self.put_file(local_path, target)])
        return target

    def log_artifacts(
        self, local_dir: str, artifact_path: str | None = None, *, wait: bool = True
    ) -> list[str]:
        """Copy the files of a local directory tree into the run, under ``artifact_path``.

        With ``wait=False`` a remote backend copies the files to a private staging directory and
        uploads them in a background thread (see ``autolog.store._uploads``); reads of this root
        in this process, and the interpreter's exit, wait for the upload. Local repositories
        always write at once.
        """
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"no such directory to log as artifacts: {local_dir!r}")
        if not wait and self.uses_read_cache:
            return self._log_artifacts_in_background(local_dir, artifact_path)
        records = []
        for source, target in _tree_files(local_dir, artifact_path):
            records.append(self.put_file(source, _file_path(target)))
        self._record(records)
        return [record.path for record in records]

    def _log_artifacts_in_background(self, local_dir: str, artifact_path: str | None) -> list[str]:
        from autolog.store._uploads import background_uploads

        staging = tempfile.mkdtemp(prefix="autolog-upload-")
        try:
            shutil.copytree(local_dir, staging, dirs_exist_ok=True)
            pairs = [(source, _file_path(target)) for source, target in _tree_files(staging, artifact_path)]
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

        def upload() -> None:
            self._record([self.put_file(source, target) for source, target in pairs])

        background_uploads().submit(self.root, upload, cleanup=staging)
        return [target for _source, target in pairs]

    def record_tree(
        self, path: str, *, known: Mapping[str, tuple[str, int]] | None = None
    ) -> list[ArtifactRecord]:
        """Record the local files under ``path`` (written in place) in the ledger.

        ``known`` maps names relative to ``path`` to the (sha256, size) the writer already
        computed; the other files are hashed here.
        """
        local = self.local_path(path)
        if local is None:
            raise StoreError(f"{self!r} has no local files to record")
        if self.ledger is None:
            return []
        records = []
        relative = check_relative_path(path)
        for source, target in _tree_files(local, relative):
            digest, size = (known or {}).get(target[len(relative) :].lstrip("/")) or sha256_of_file(source)
            records.append(ArtifactRecord(target, size, digest))
        self._record(records)
        return records

    def verify(self, path: str, files: Sequence[str]) -> None:
        """Check local copies against the ledger: ``files`` are paths relative to ``path``.

        Files without a record are not checked. ``ArtifactIntegrityError`` on a mismatch.
        """
        known = self._records(path)
        local = self.local_path(path)
        for name in files:
            record = known.get(_join(check_relative_path(path), name))
            file = os.path.join(local, *name.split("/")) if local is not None else None
            if (
                record is not None and file is not None and os.path.exists(file)
            ):  # a missing file: the reader says so
                digest, size = sha256_of_file(file)
                check_received(record, ArtifactRecord(record.path, size, digest), self)

    def cached_directory(self, path: str) -> str | None:
        """A read-only local directory with the recorded files under ``path``, from the read cache.

        For remote backends whose files under ``path`` all have records: verified once, then
        reused until evicted. ``None`` otherwise (use :meth:`download_artifacts`).
        """
        if not self.uses_read_cache:
            return None
        self.wait_for_uploads()
        records = self._records(check_relative_path(path))
        if not records:
            return None

        return read_cache().directory_for(self, check_relative_path(path), records)

    def download_artifacts(
        self, path: str = "", dst_path: str | None = None, *, progress: Progress | None = None
    ) -> str:
        """Copy a file or directory of the run to ``dst_path`` (a new temp dir if ``None``).

        Every file with a recorded size and sha256 is verified (``ArtifactIntegrityError`` if it
        differs; the bad copy is removed). ``progress`` is called with byte counts as they arrive.

        Returns
        -------
        str
            The local path of the copy.
        """
        relative = check_relative_path(path)
        self.wait_for_uploads()
        known = self._records(relative)
        files = self._files_to_download(relative, known)
        destination_dir = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp()
        make_dirs(destination_dir)
        name = relative.rsplit("/", 1)[-1] if relative else ""
        target = os.path.join(destination_dir, name) if name else destination_dir
        is_single_file = len(files) == 1 and files[0].path == relative and relative
        for info in files:
            inner = info.path[len(relative) :].lstrip("/") if relative else info.path
            local_file = target if is_single_file else os.path.join(target, *inner.split("/"))
            self._download_verified(info.path, local_file, progress, known.get(info.path))
        if not is_single_file:
            make_dirs(target)
        return target

    def _files_to_download(self, relative: str, known: Mapping[str, ArtifactRecord]) -> list[FileInfo]:
        if self.uses_read_cache:
            if known:  # the ledger lists what was written: no remote listing needed
                return [FileInfo(p, False, r.size) for p, r in sorted(known.items())]
        files = self.list_files(relative)
        if not files and relative:
            raise NotFoundError(f"no artifact {relative!r} in {self.root}")
        return files

    def _download_verified(self, artifact_path: str, local_file: str, progress, expected) -> None:
        make_dirs(os.path.dirname(local_file))
        if self.uses_read_cache:
            read_cache().fetch(self, artifact_path, expected, local_file, progress)
            return
        received = self.get_file(artifact_path, local_file, progress=progress)
        if expected is not None:
            check_received(expected, received, self, local_file)

    def recorded_files(self, path: str = "") -> Mapping[str, ArtifactRecord]:
        """The ledger's records of the file ``path`` or of the files under it (``{}`` without one)."""
        return self._records(check_relative_path(path))

    def wait_for_uploads(self) -> None:
        """Wait for this process's background uploads under this root (see ``log_artifacts``)."""
        from autolog.store._uploads import wait_for_uploads

        wait_for_uploads(self.root)

    # --- ledger ----------------------------------------------------------------------------------

    def _record(self, records: list[ArtifactRecord]) -> None:
        if self.ledger is not None and records:
            self.ledger.record(records)

    def _records(self, path: str) -> Mapping[str, ArtifactRecord]:
        return {} if self.ledger is None else self.ledger.lookup(path)


def _tree_files(local_dir: str, artifact_path: str | None) -> Iterator[tuple[str, str]]:
    """(local file, artifact path) of every file under ``local_dir``, placed under ``artifact_path``."""
    for directory, subdirs, files in os.walk(local_dir):
        subdirs.sort()
        relative = os.path.relpath(directory, local_dir).replace(os.sep, "/")
        for name in sorted(files):
            if name.startswith(TEMP_PREFIX):
                continue
            yield (
                os.path.join(directory, name),
                _join(artifact_path, "" if relative == "." else relative, name),
            )


def _join(*parts: str | None) -> str:
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))


def sha256_of_file(path: str) -> tuple[str, int]:
    """Hex sha256 and size of a local file, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- local disk ----------------------------------------------------------------------------------


class LocalArtifactRepository(ArtifactRepository):
    """Artifacts stored as plain files under a local directory.

    Parameters
    ----------
    root : str
        Local directory (or ``file:`` URI) of the run's artifacts; created on the first write.
    ledger : ArtifactLedger, optional
        See :class:`ArtifactRepository`.
    anchor : str, optional
        A trusted directory above ``root`` (the store's artifact root): the components from it
        down to ``root`` are checked too, so a run folder replaced by a symlink is refused.
        Default: ``root`` itself.

    Notes
    -----
    Confinement: every component from the anchor down to a file is ``lstat``-ed; a symlink
    anywhere on the way (the run's own ``artifacts`` folder included) is refused, never followed.
    """

    def __init__(self, root: str, *, ledger: ArtifactLedger | None = None, anchor: str | None = None):
        super().__init__(local_path_from_uri(root), ledger=ledger)
        anchor = self.root if anchor is None else local_path_from_uri(anchor)
        relative = os.path.relpath(self.root, anchor)
        if relative == os.curdir:
            self._root_parts: list = []
        elif relative == os.pardir or relative.startswith(os.pardir + os.sep):
            anchor, self._root_parts = self.root, []
        else:
            self._root_parts = relative.split(os.sep)
        self._anchor = os.path.realpath(anchor)

    def local_path(self, path: str = "") -> str:
        """The on-disk path of ``path`` inside the root; rejects anything that could escape it
        (no symlink is followed from the store's artifact root down to ``path``)."""
        relative = check_relative_path(path)
        parts = self._root_parts + (relative.split("/") if relative else [])
        return confined_path(self._anchor, parts, path)

    def _destination(self, relative: str) -> str:
        destination = self.local_path(relative)
        try:
            make_dirs(os.path.dirname(destination))
        except (FileExistsError, NotADirectoryError):
            raise InvalidInputError(
                f"invalid artifact path {relative!r}: a parent of it is an existing file"
            ) from None
        self.local_path(os.path.dirname(relative))  # re-check: a parent may be a symlink
        if os.path.isdir(destination):
            raise InvalidInputError(f"artifact path {relative!r} is a directory")
        return destination

    def put_bytes(self, data: bytes, artifact_path: str) -> ArtifactRecord:
        with _atomic_file(self._destination(artifact_path)) as handle:
            handle.write(data)
        return ArtifactRecord(artifact_path, len(data), hashlib.sha256(data).hexdigest())

    def put_file(self, local_file: str, artifact_path: str) -> ArtifactRecord:
        with open(local_file, "rb") as source, _atomic_file(self._destination(artifact_path)) as handle:
            size, digest = copy_stream(source, handle)
        return ArtifactRecord(artifact_path, size, digest)

    def get_file(self, artifact_path: str, local_file: str, *, progress=None) -> ArtifactRecord:
        source = self.local_path(artifact_path)
        if not os.path.isfile(source):
            raise NotFoundError(f"no artifact file {artifact_path!r} in {self.root}")
        make_dirs(os.path.dirname(local_file))
        with open_no_follow(source) as reader, _atomic_file(local_file) as handle:
            size, digest = copy_stream(reader, handle, progress)
        return ArtifactRecord(artifact_path, size, digest)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = check_relative_path(path or "")
        directory = self.local_path(relative)
        if not os.path.isdir(directory):
            return []
        infos = []
        for entry in sorted(os.scandir(directory), key=lambda item: item.name):
            if entry.name.startswith(TEMP_PREFIX):
                continue  # an atomic write in progress
            child = _join(relative, entry.name)
            try:
                self.local_path(child)
            except InvalidInputError:
                continue  # a symlink leading outside the run is not part of it
            is_dir = entry.is_dir(follow_symlinks=False)
            size = None if is_dir else entry.stat(follow_symlinks=False).st_size
            infos.append(FileInfo(child, is_dir, size))
        return infos

    def list_files(self, path: str = "") -> list[FileInfo]:
        relative = check_relative_path(path)
        local = self.local_path(relative)
        if os.path.isfile(local):
            return [FileInfo(relative, False, os.path.getsize(local))]
        files = []
        for info in self.list_artifacts(relative or None):
            files.extend(self.list_files(info.path) if info.is_dir else [info])
        return files

    def delete_all(self) -> None:
        if os.path.isdir(self.root) and not os.path.islink(self.root):
            shutil.rmtree(self.root, ignore_errors=True)

    def download_artifacts(self, path: str = "", dst_path: str | None = None, *, progress=None) -> str:
        if not os.path.exists(self.local_path(path)):
            raise NotFoundError(f"no artifact {path!r} in {self.root}")
        return super().download_artifacts(path, dst_path, progress=progress)


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
            return os.path.join(path, *parts[index + 1 :])
        except NotADirectoryError:
            raise InvalidInputError(f"invalid artifact path {shown!r}: a parent of it is a file") from None
        if stat.S_ISLNK(mode):
            raise InvalidInputError(
                f"invalid artifact path {shown!r}: {part!r} on the way is a symlink (it could lead "
                "outside the run); symlinks are never followed"
            )
    return path


def run_anchor(run_root: str, store_root: str | None) -> str:
    """The trusted directory a run's artifact root is confined under: the store's artifact root
    when the run's folder is inside it, else (an experiment with its own artifact location) the
    folder holding ``<run_id>/artifacts``."""
    run_root = os.path.abspath(run_root)
    if store_root is not None:
        store_root = os.path.abspath(store_root)
        if run_root.startswith(store_root.rstrip(os.sep) + os.sep):
            return store_root
    return os.path.dirname(os.path.dirname(run_root))


def copy_stream(reader, writer, progress: Progress | None = None) -> tuple[int, str]:
    """Copy ``reader`` to ``writer`` in 1 MiB chunks; returns (size, hex sha256) of the bytes."""
    digest, size = hashlib.sha256(), 0
    while chunk := reader.read(_COPY_CHUNK):
        writer.write(chunk)
        digest.update(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return size, digest.hexdigest()


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


class _atomic_file:
    """Write to a temp file beside ``destination``; ``os.replace`` it there only on success."""

    def __init__(self, destination: str):
        self.destination = destination

    def __enter__(self):
        directory, name = os.path.split(self.destination)
        descriptor, self.temp_path = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name}.", dir=directory)
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
