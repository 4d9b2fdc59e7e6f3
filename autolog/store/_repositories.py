"""The artifact repository for a root URI: local disk for paths and ``file:``, fsspec otherwise."""

from __future__ import annotations

from autolog.store._artifact_files import ArtifactLedger
from autolog.store._artifacts import ArtifactRepository, LocalArtifactRepository, is_local_uri


def artifact_repository(
    root: str, *, ledger: ArtifactLedger | None = None, anchor: str | None = None
) -> ArtifactRepository:
    """The repository for an artifact root: local disk for paths and ``file:``, fsspec otherwise.

    Parameters
    ----------
    root : str
        A local path, ``file:`` URI, or any fsspec URL (``s3://bucket/prefix``, ``gs://``, ``az://``).
    ledger : ArtifactLedger, optional
        Where sizes and sha256s are recorded and looked up (the store passes one per run).
    """
    if is_local_uri(root):
        return LocalArtifactRepository(root, ledger=ledger, anchor=anchor)
    from autolog.store._fsspec_artifacts import FsspecArtifactRepository  # imports fsspec: only when used

    return FsspecArtifactRepository(root, ledger=ledger)
