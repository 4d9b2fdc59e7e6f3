"""The exceptions autolog raises to its callers.

Every error that bad input can cause is an :class:`AutologError` (or a subclass), with a message
that names the offending key, value, filter position, URI or path.
"""

from autolog._core._exceptions import (
    ArtifactIntegrityError,
    AutologError,
    ConflictError,
    InvalidInputError,
    ModelIntegrityError,
    NotFoundError,
    StoreError,
)

__all__ = [
    "ArtifactIntegrityError",
    "AutologError",
    "ConflictError",
    "InvalidInputError",
    "ModelIntegrityError",
    "NotFoundError",
    "StoreError",
]
