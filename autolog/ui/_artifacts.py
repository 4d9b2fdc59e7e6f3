"""Reading a run's artifacts for the UI: confined paths, previews, safe download types.

Nothing here deserializes anything but JSON and CSV text; model files are only listed.
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
import os
from dataclasses import dataclass, field

from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog._core._json import MAX_METADATA_BYTES, loads_bounded, read_bounded
from autolog.ui._security import clean_artifact_path

PREVIEW_BYTES = 256 * 1024
CSV_PREVIEW_ROWS = 200
from autolog._core._constants import MODEL_METADATA_FILE  # noqa: E402

# Raster formats a browser can show in <img> without running anything, by magic bytes.
_IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
_TEXT_EXTENSIONS = {
    ".txt",
    ".log",
    ".md",
    ".py",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".diff",
    ".patch",
    ".html",
    ".htm",
    ".svg",
    ".xml",
    ".sh",
    ".rst",
    ".tsv",
    ".requirements",
    ".json",
    ".csv",
}


@dataclass
class Preview:
    """What the artifact page shows for one file."""

    path: str
    kind: str  # "text", "json", "csv", "image", "binary"
    size: int | None
    text: str | None = None
    truncated: bool = False
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    note: str | None = None


def resolve_local_file(store, run_id: str, raw_path: str | None) -> tuple:
    """Return ``(clean_path, absolute_local_path)`` of an artifact, confined to the run's root.

    Raises
    ------
    InvalidInputError
        For any path that is unsafe or escapes the run's artifact root (also through symlinks).
    NotFoundError
        When nothing exists at that path or the store keeps artifacts elsewhere than on disk.
    """
    path = clean_artifact_path(raw_path)
    repo = store.artifacts(run_id)
    root = repo.local_path("")
    if root is None:
        raise NotFoundError("this store's artifacts are not on a local disk")
    local = repo.local_path(path) if path else root
    if local is None:
        raise NotFoundError(f"artifact {path!r} not found")
    real_root = os.path.realpath(root)
    real = os.path.realpath(local)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise InvalidInputError(f"invalid artifact path {path!r}: it leads outside the run's artifacts")
    if not os.path.exists(real):
        raise NotFoundError(f"artifact {path!r} not found in run {run_id}")
    return path, real


def list_dir(store, run_id: str, path: str) -> list:
    """Directory entries (directories first, then files, by name)."""
    entries = store.artifacts(run_id).list_artifacts(path or None)
    return sorted(entries, key=lambda e: (not e.is_dir, e.path.lower()))


def read_preview(path: str, local: str) -> Preview:
    """Classify a file and read the part of it the page shows."""
    size = os.path.getsize(local)
    with open(local, "rb") as handle:
        head = handle.read(PREVIEW_BYTES + 1)
    truncated = len(head) > PREVIEW_BYTES
    head = head[:PREVIEW_BYTES]
    if image_type(head):
        return Preview(path, "image", size)
    text = _as_text(head, path)
    if text is None:
        return Preview(path, "binary", size)
    extension = os.path.splitext(path)[1].lower()
    if extension == ".json" and not truncated:
        return _json_preview(path, size, text)
    if extension in (".csv", ".tsv"):
        return _csv_preview(path, size, text, truncated, "\t" if extension == ".tsv" else ",")
    return Preview(path, "text", size, text=text, truncated=truncated)


def image_type(head: bytes) -> str | None:
    """The MIME type of a PNG, JPEG or GIF recognized by its magic bytes, else ``None``."""
    for signature, mime in _IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _as_text(head: bytes, path: str) -> str | None:
    if b"\x00" in head[:8192]:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the preview boundary is still text.
        if exc.start >= len(head) - 4:
            return head[: exc.start].decode("utf-8")
        if os.path.splitext(path)[1].lower() in _TEXT_EXTENSIONS:
            return head.decode("utf-8", errors="replace")
        return None


def _json_preview(path: str, size: int, text: str) -> Preview:
    try:
        pretty = json.dumps(loads_bounded(text, what=path), indent=2, ensure_ascii=False, sort_keys=False)
    except InvalidInputError as exc:  # too deep to pretty-print: the raw text, with the reason
        return Preview(path, "text", size, text=text, note=f"{exc}; shown as plain text")
    except ValueError:
        return Preview(path, "text", size, text=text)
    return Preview(path, "json", size, text=pretty)


def _csv_preview(path: str, size: int, text: str, truncated: bool, delimiter: str) -> Preview:
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut in the middle
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    except csv.Error:
        return Preview(path, "text", size, text=text, truncated=truncated)
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    more = truncated or len(body) > CSV_PREVIEW_ROWS
    return Preview(path, "csv", size, header=header, rows=body[:CSV_PREVIEW_ROWS], truncated=more)


def download_media_type(local: str) -> str:
    """A content type that never makes the browser render user content as a page.

    Raster images keep their type (shown in ``<img>``); text is ``text/plain``; everything else,
    including HTML and SVG, is ``application/octet-stream``.
    """
    with open(local, "rb") as handle:
        head = handle.read(16)
    mime = image_type(head)
    if mime:
        return mime
    guessed, _ = mimetypes.guess_type(local)
    if guessed in ("text/plain", "text/csv", "application/json"):
        return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
    return "application/octet-stream"


def find_models(store, run_id: str) -> list:
    """Model directories at the top of a run's artifacts, with their parsed metadata JSON.

    Returns
    -------
    list of (str, dict)
        ``(artifact_dir, metadata)`` for every ``<dir>/autolog-model.json`` that parses.
    """
    models: list[tuple[str, dict]] = []
    try:
        entries = store.artifacts(run_id).list_artifacts(None)
    except (NotFoundError, InvalidInputError, OSError):
        return models
    for entry in entries:
        if entry.is_dir:
            metadata = read_model_metadata(store, run_id, entry.path)
            if metadata is not None:
                models.append((entry.path, metadata))
    return models


def read_model_metadata(store, run_id: str, directory: str) -> dict | None:
    """Parse ``<directory>/autolog-model.json`` (JSON only: the model itself is never loaded)."""
    try:
        _, local = resolve_local_file(store, run_id, f"{directory}/{MODEL_METADATA_FILE}")
    except (NotFoundError, InvalidInputError, OSError):
        return None
    try:
        metadata = read_bounded(local, what=MODEL_METADATA_FILE, max_bytes=MAX_METADATA_BYTES)
    except InvalidInputError as exc:  # too large or too deep: say so on the page
        return {"error": str(exc)}
    except (OSError, ValueError):
        return None
    return metadata if isinstance(metadata, dict) else None
