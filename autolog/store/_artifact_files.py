"""What every artifact backend and the read cache share: the record of a file written, the ledger
that keeps records, progress callbacks, and the check of a received file against its record."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from autolog._core._exceptions import ArtifactIntegrityError

TEMP_PREFIX = ".tmp-"  # a write in progress: listings skip names starting with it

Progress = Callable[[int], None]
"""Called with the number of bytes just transferred."""


@dataclass(frozen=True)
class ArtifactRecord:
    """What the metadata store records of one artifact file when it is written.

    Attributes
    ----------
    path : str
        The file's artifact path, relative to the run's artifact root (``/``-separated).
    size : int
        Size in bytes.
    sha256 : str
        Hex sha256 of the content.
    """

    path: str
    size: int
    sha256: str


class ArtifactLedger(Protocol):
    """Where a repository records (and looks up) the size and sha256 of the files it writes.

    The store hands each run's repository a ledger bound to that run.
    """

    def record(self, records: Sequence[ArtifactRecord]) -> None:
        """Record (insert or replace) these files' records."""

    def lookup(self, path: str = "") -> Mapping[str, ArtifactRecord]:
        """The records of the file ``path`` or of every file under the directory ``path``."""


def check_received(
    expected: ArtifactRecord, received: ArtifactRecord, repository: Any, local_file: str | None = None
) -> None:
    if (expected.size, expected.sha256) == (received.size, received.sha256):
        return
    if local_file is not None and os.path.exists(local_file):
        os.unlink(local_file)
    raise ArtifactIntegrityError(
        f"artifact {expected.path!r} of {repository.root} is {received.size} bytes with sha256 "
        f"{received.sha256}, but {expected.size} bytes with sha256 {expected.sha256} were "
        "recorded when it was written: it changed or is corrupt"
    )
