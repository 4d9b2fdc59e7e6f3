"""A one-line progress bar on a text stream (stderr), drawn only when one is given."""

from __future__ import annotations

import time
from typing import IO

_WIDTH = 30
_REDRAW_SECONDS = 0.2


class Progress:
    """``start(total, unit)``, then ``advance()`` per item, then ``close()``.

    Redraws at most five times a second; on a stream that is not a terminal it writes only the
    final line, so logs stay readable.
    """

    def __init__(self, stream: IO[str] | None):
        self.stream, self.total, self.done, self.unit = stream, 0, 0, ""
        self.started = self.drawn = 0.0
        self.interactive = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def start(self, total: int, unit: str) -> None:
        self.total, self.unit, self.started = total, unit, time.monotonic()

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.interactive and (now - self.drawn >= _REDRAW_SECONDS or self.done == self.total):
            self.drawn = now
            self._draw("\r")

    def close(self) -> None:
        if self.stream is not None and self.total:
            self._draw("\r" if self.interactive else "")
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, prefix: str) -> None:
        if self.stream is None:
            return
        filled = int(_WIDTH * self.done / self.total) if self.total else _WIDTH
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"{prefix}[{'#' * filled}{'.' * (_WIDTH - filled)}] {self.done}/{self.total} {self.unit} {elapsed:.0f}s"
        )
        self.stream.flush()
