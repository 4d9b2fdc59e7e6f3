"""``HttpArtifactRepository``: a run's artifacts, uploaded to and downloaded from the server.

Same public methods as the local ``ArtifactRepository``; :meth:`local_path` returns ``None``
(there is no local copy), which tells callers such as ``log_model`` to stage files and upload.
``log_artifacts(..., wait=False)`` (autologging's ``log_model``) copies the files to a private
staging directory and uploads them from the process's background upload thread
(``autolog.store._uploads``); every read of the run's artifacts here waits for them first, and
the interpreter waits for them at exit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any

from autolog._core._entities import FileInfo
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog._files import make_dirs


def _check_relative(path: str | None) -> str:
    from autolog.store._artifacts import check_relative_path

    return check_relative_path(path or "")


MAX_IN_MEMORY_BYTES = 4 * 1024 * 1024  # files queued for upload in memory rather than staged


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _join(*parts: str | None) -> str:
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))


class HttpArtifactRepository:
    """The artifacts of one run on a tracking server."""

    def __init__(
        self, transport, run_id: str, *, written: set | None = None, route: Any = None, outbox: Any = None
    ):
        self._transport = transport
        self.run_id = run_id
        self.root = f"{transport.base_url}/api/v1/runs/{run_id}/artifacts"
        # Paths this process uploaded (or queued) to a run it created; None for other runs.
        self._written = written
        # For runs this process created: route(relative, data, send) uploads after the run's
        # creation, or writes to the offline spool (see HttpStore._upload); background uploads
        # go to outbox(root, [(path, bytes or staged file)], staging dir): a few per request.
        self._route = route
        self._outbox = outbox

    def wait_for_uploads(self) -> None:
        """Wait for this process's background uploads to this run (see ``log_artifacts``)."""
        from autolog.store._uploads import wait_for_uploads

        wait_for_uploads(self.root)

    def __repr__(self) -> str:
        return f"HttpArtifactRepository({self.root!r})"

    def local_path(self, path: str = "") -> None:
        """``None``: the files live on the server (the path is still checked)."""
        _check_relative(path)
        return None

    def write_bytes(self, artifact_path: str, data: bytes, *, wait: bool = True) -> str:
        """Upload ``data`` as the file ``artifact_path``; returns the path as stored.

        To a run this process created, or with ``wait=False``, the upload goes to the background
        upload thread (reads of this process's own runs wait for it); otherwise it is done before
        returning.
        """
        relative = _check_relative(artifact_path)
        if not relative:
            raise InvalidInputError(f"invalid artifact path {artifact_path!r}: names no file")
        if self._written is None and wait:
            return self._put(relative, bytes(data))
        from autolog.store._uploads import background_uploads

        payload = bytes(data)
        if self._written is not None:
            self._written.add(relative)
        if self._outbox is not None:
            self._outbox(self.root, [(relative, payload)], None)
            return relative
        background_uploads().submit(self.root, lambda: self._put(relative, payload))
        return relative

    def _put(self, relative: str, data: bytes) -> str:
        if self._route is not None:
            return self._route(relative, data, self._send)
        return self._send(relative, data)

    def _send(self, relative: str, data: bytes) -> str:
        answer = self._transport.call(
            "PUT", f"/runs/{self.run_id}/artifacts/file", query={"path": relative}, raw_body=data
        )
        return answer["path"]

    def log_artifact(self, local_path: str, artifact_path: str | None = None) -> str:
        """Upload one local file under the directory ``artifact_path``."""
        if not os.path.isfile(local_path):
            raise NotFoundError(f"no such file to log as an artifact: {local_path!r}")
        with open(local_path, "rb") as handle:
            return self.write_bytes(_join(artifact_path, os.path.basename(local_path)), handle.read())

    def log_artifacts(
        self, local_dir: str, artifact_path: str | None = None, *, wait: bool = True
    ) -> list[str]:
        """Upload the files of a local directory tree under ``artifact_path``.

        With ``wait=False`` the files are copied to a private staging directory and uploaded in
        the background; the returned paths are those they will have.
        """
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"no such directory to log as artifacts: {local_dir!r}")
        files = []
        for directory, _subdirs, names in os.walk(local_dir):
            relative = os.path.relpath(directory, local_dir).replace(os.sep, "/")
            subdir = _join(artifact_path, "" if relative == "." else relative)
            files += [(os.path.join(directory, name), subdir or None) for name in sorted(names)]
        paths = [_check_relative(_join(subdir, os.path.basename(path))) for path, subdir in files]
        if self._written is not None:
            self._written.update(paths)
        if wait:
            return [self._put_file(local_file, path) for (local_file, _), path in zip(files, paths)]
        return self._upload_later(local_dir, [local_file for local_file, _ in files], paths)

    def _put_file(self, local_file: str, relative: str) -> str:
        with open(local_file, "rb") as handle:
            return self._put(relative, handle.read())

    def _upload_later(self, local_dir: str, local_files: list, paths: list) -> list[str]:
        from autolog.store._uploads import background_uploads

        if self._outbox is not None and sum(map(os.path.getsize, local_files)) <= MAX_IN_MEMORY_BYTES:
            # Small files (an autologged model) are read now: no staging copy on disk.
            self._outbox(self.root, [(p, _read_file(f)) for f, p in zip(local_files, paths)], None)
            return paths
        staging = tempfile.mkdtemp(prefix="autolog-upload-")
        staged = shutil.copytree(local_dir, os.path.join(staging, "files"))
        copies = [os.path.join(staged, os.path.relpath(path, local_dir)) for path in local_files]
        if self._outbox is not None:
            self._outbox(self.root, list(zip(paths, copies)), staging)
            return paths

        def upload() -> None:
            for copy, path in zip(copies, paths):
                self._put_file(copy, path)

        background_uploads().submit(self.root, upload, cleanup=staging)
        return paths

    def after_uploads(self, job) -> bool:
        """Queue ``job`` behind this run's pending background uploads; False if none are pending."""
        from autolog.store._uploads import background_uploads

        uploads = background_uploads()
        if not uploads.pending(self.root):
            return False
        uploads.submit(self.root, job)
        return True

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The direct children of ``path``, sorted by name; ``[]`` if none."""
        relative = _check_relative(path)
        self.wait_for_uploads()
        return self._transport.call("GET", f"/runs/{self.run_id}/artifacts", query={"path": relative or None})

    def list_files(self, path: str = "") -> list[FileInfo]:
        """Every file under ``path`` (or ``path`` itself when it is a file), recursively."""
        relative = _check_relative(path)
        children = self.list_artifacts(relative)
        return [info for info in children if not info.is_dir] + [
            info for child in children if child.is_dir for info in self.list_files(child.path)
        ]

    def recorded_files(self, path: str = "") -> list[FileInfo]:
        """What is stored under ``path``.

        For a run this process created, the paths it uploaded or queued (no round trip, and no
        wait for background uploads); for other runs, the server's listing.
        """
        relative = _check_relative(path)
        if self._written is None:
            return self.list_files(relative)
        return [
            FileInfo(written, False, None)
            for written in sorted(self._written)
            if not relative or written == relative or written.startswith(relative + "/")
        ]

    def verify(self, path: str, files: Sequence[str]) -> None:
        """Nothing to compare here: the server verifies what it serves against its records."""

    def cached_directory(self, path: str) -> str | None:
        """No local read cache for proxied artifacts: every load downloads."""
        return None

    def download_artifacts(self, path: str = "", dst_path: str | None = None, *, progress: Any = None) -> str:
        """Download a file or directory of the run to ``dst_path`` (a new temp dir if ``None``)."""
        relative = _check_relative(path)
        self.wait_for_uploads()
        destination_dir = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp()
        make_dirs(destination_dir)
        name = relative.rsplit("/", 1)[-1] if relative else ""
        target = os.path.join(destination_dir, name) if name else destination_dir
        children = self.list_artifacts(relative)
        if children or not relative:
            for file_path in self._files_under(relative, children):
                inner = file_path[len(relative) :].lstrip("/") if relative else file_path
                self._download_file(file_path, os.path.join(target, inner))
            make_dirs(target)
            return target
        self._download_file(relative, target)
        return target

    def _files_under(self, relative: str, children: list):
        for info in children:
            if info.is_dir:
                yield from self._files_under(info.path, self.list_artifacts(info.path))
            else:
                yield info.path

    def _download_file(self, path: str, destination: str) -> None:
        data = self._transport.call(
            "GET", f"/runs/{self.run_id}/artifacts/file", query={"path": path}, raw_response=True
        )
        make_dirs(os.path.dirname(destination))
        temp = destination + ".part"
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, destination)
