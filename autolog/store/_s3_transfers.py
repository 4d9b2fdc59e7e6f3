"""Transfers on S3 through s3fs's own client: concurrent multipart uploads and ranged downloads.

s3fs's buffered file uploads the parts of a big file one after the other and lists nothing
itself, but it also checks the bucket before each file (``makedirs``). Here each file costs
what it must: one ``PutObject`` for a file that fits in one part; otherwise
``CreateMultipartUpload``, the parts (``AUTOLOG_ARTIFACT_CONCURRENCY`` in flight, default 4) and
``CompleteMultipartUpload``, which alone makes the object visible (an upload that fails is
aborted; one killed with its process is never completed, so never visible). A download is
ranged ``GetObject`` requests of one part each, the same number in flight, written in order.

Memory stays bounded whatever the size: at most ``concurrency + 1`` parts are held (8 MiB parts
and 4 in flight: 40 MiB). The calling thread reads, hashes and writes; the requests run on
s3fs's event loop thread, on its one connection pool (one client for the process).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import hashlib
import io
import os
from collections import deque
from collections.abc import Callable, Coroutine
from typing import IO, Any

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16


def transfer_concurrency() -> int:
    """``AUTOLOG_ARTIFACT_CONCURRENCY``: parts in flight per file (1-16), default 4."""
    raw = os.environ.get("AUTOLOG_ARTIFACT_CONCURRENCY")
    try:
        return min(MAX_CONCURRENCY, max(1, int(raw))) if raw else DEFAULT_CONCURRENCY
    except ValueError:
        return DEFAULT_CONCURRENCY


class S3Transfers:
    """Uploads and downloads of whole objects on the S3 filesystem ``fs`` (an ``S3FileSystem``).

    Parameters
    ----------
    fs : s3fs.S3FileSystem
        The (cached, process-wide) filesystem whose client and event loop carry the requests.
    part_size : int
        Bytes per part (at least 5 MiB, S3's smallest part but the last).
    concurrency : int
        Parts in flight per file.
    """

    def __init__(self, fs: Any, part_size: int, concurrency: int):
        self.fs = fs
        self.part_size = part_size
        self.concurrency = concurrency

    def _start(self, coroutine: Coroutine) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.fs.loop)

    def _call(self, method: str, **kwargs: Any) -> Any:
        return self._start(self.fs._call_s3(method, **kwargs)).result()

    # --- uploads ---------------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` as ``key`` in one request."""
        bucket, path, _ = self.fs.split_path(key)
        self._call("put_object", Bucket=bucket, Key=path, Body=data)

    def put_stream(self, key: str, source: IO[bytes]) -> tuple[int, str]:
        """Store what ``source`` reads as ``key``; returns its (size, hex sha256), hashed as read."""
        digest = hashlib.sha256()
        first = source.read(self.part_size)
        digest.update(first)
        if len(first) < self.part_size:
            self.put_bytes(key, first)
            return len(first), digest.hexdigest()
        read = [first]
        del first  # the list passes it on, and lets go of it once sent
        bucket, path, _ = self.fs.split_path(key)
        upload_id = self._call("create_multipart_upload", Bucket=bucket, Key=path)["UploadId"]
        try:
            parts = self._upload_parts(bucket, path, upload_id, read, source, digest)
            size = sum(part.pop("Size") for part in parts)
            self._call(
                "complete_multipart_upload",
                Bucket=bucket,
                Key=path,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            _quietly(
                lambda: self._call("abort_multipart_upload", Bucket=bucket, Key=path, UploadId=upload_id)
            )
            raise
        return size, digest.hexdigest()

    def _upload_parts(
        self, bucket: str, path: str, upload_id: str, read: list[bytes], source: IO[bytes], digest: Any
    ) -> list[dict]:
        """Send the parts, ``concurrency`` in flight; ``read`` holds the first, already hashed
        (and is emptied, so that no caller keeps a part alive)."""
        in_flight: deque[tuple[int, int, concurrent.futures.Future]] = deque()
        parts: list[dict] = []
        try:
            while chunk := (read.pop() if read else _hashed(source.read(self.part_size), digest)):
                number = len(parts) + len(in_flight) + 1
                request = self.fs._call_s3(
                    "upload_part",
                    Bucket=bucket,
                    Key=path,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=io.BytesIO(chunk),
                )
                in_flight.append((number, len(chunk), self._start(request)))
                del chunk  # from now on held by its request only, until sent
                while len(in_flight) >= self.concurrency:
                    parts.append(_part(*in_flight.popleft()))
            while in_flight:
                parts.append(_part(*in_flight.popleft()))
        finally:
            for *_ignored, future in in_flight:
                future.cancel()
            concurrent.futures.wait([future for *_ignored, future in in_flight])
        return parts

    # --- downloads -------------------------------------------------------------------------------

    def get_stream(
        self, key: str, writer: IO[bytes], progress: Callable[[int], None] | None = None
    ) -> tuple[int, str]:
        """Write the object ``key`` to ``writer`` in order; returns its (size, hex sha256).

        The first ranged request also tells the size; the others follow, ``concurrency`` at a
        time, all pinned to the first one's ETag (an object replaced meanwhile fails the
        download instead of mixing two versions).
        """
        bucket, path, _ = self.fs.split_path(key)
        first, total, etag = self._first_range(bucket, path)
        digest, size = hashlib.sha256(), 0
        in_flight: deque[concurrent.futures.Future] = deque()
        starts = iter(range(len(first), total, self.part_size))
        chunk = first
        try:
            while True:
                while len(in_flight) < self.concurrency and (start := next(starts, None)) is not None:
                    in_flight.append(self._start(self._range(bucket, path, start, total, etag)))
                writer.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
                if not in_flight:
                    return size, digest.hexdigest()
                chunk = in_flight.popleft().result()
        finally:
            for future in in_flight:
                future.cancel()

    def _first_range(self, bucket: str, path: str) -> tuple[bytes, int, str | None]:
        try:
            response = self._call(
                "get_object", Bucket=bucket, Key=path, Range=f"bytes=0-{self.part_size - 1}"
            )
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # 416: no byte 0, an empty object
                return b"", 0, None
            raise
        data = self._start(_read_body(response)).result()
        content_range = response.get("ContentRange") or ""
        total = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else len(data)
        return data, total, response.get("ETag")

    async def _range(self, bucket: str, path: str, start: int, total: int, etag: str | None) -> bytes:
        end = min(start + self.part_size, total) - 1
        match = {"IfMatch": etag} if etag else {}
        response = await self.fs._call_s3(
            "get_object", Bucket=bucket, Key=path, Range=f"bytes={start}-{end}", **match
        )
        return await _read_body(response)


async def _read_body(response: dict) -> bytes:
    body = response["Body"]
    try:
        return await body.read()
    finally:
        body.close()


def _part(number: int, size: int, future: concurrent.futures.Future) -> dict:
    return {"PartNumber": number, "ETag": future.result()["ETag"], "Size": size}


def _hashed(chunk: bytes, digest: Any) -> bytes:
    digest.update(chunk)
    return chunk


def _quietly(action: Callable) -> None:
    try:
        action()
    except Exception:
        pass
