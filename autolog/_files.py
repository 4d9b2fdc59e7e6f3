"""New files and directories, created 0o644 / 0o755 (minus umask): never world-writable.

Shared by the store's artifacts and the models' directories; imports nothing of autolog.

``open(path, "x")`` and ``os.makedirs`` ask for 0o666 / 0o777 and leave the rest to the umask, so
under ``umask 0`` they create world-writable models that anyone could swap.
"""

from __future__ import annotations

import os
from typing import IO

FILE_MODE = 0o644
DIR_MODE = 0o755


def open_new(path: str, mode: str = "xb", encoding: str | None = None) -> IO:
    """``open(path, mode)`` for a new file (``"x"`` or ``"xb"``), created ``FILE_MODE``."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        return os.fdopen(descriptor, mode.replace("x", "w"), encoding=encoding)
    except BaseException:
        os.close(descriptor)
        raise


def open_no_follow(path: str, mode: str = "rb", encoding: str | None = None) -> IO:
    """``open(path, mode)`` for reading, refusing a symlink as the last component (``OSError``
    ELOOP): model files and metadata are read only where they are, never through a link."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        return os.fdopen(descriptor, mode, encoding=encoding)
    except BaseException:
        os.close(descriptor)
        raise


def write_new(path: str, data: bytes) -> None:
    """Create the new file ``path`` (``FILE_MODE``) holding ``data``: one open, write, close."""
    descriptor = os.open(path, _NEW_FILE_FLAGS, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def make_dirs(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)`` creating every missing level ``DIR_MODE``."""
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
