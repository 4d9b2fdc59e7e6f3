"""The exceptions autolog raises to its callers (public as :mod:`autolog.exceptions`).

Every error that bad input can cause is an :class:`AutologError` (or a subclass), with a message
that names the offending key, value, filter position, URI or path.
"""


class AutologError(Exception):
    """Base class of every error raised by autolog."""


class InvalidInputError(AutologError, ValueError):
    """A key, value, filter string, URI or path was rejected; nothing was written."""


class NotFoundError(AutologError, LookupError):
    """An experiment, run, artifact or model does not exist."""


class ConflictError(AutologError):
    """The write contradicts stored state, e.g. a param logged again with another value."""


class StoreError(AutologError):
    """The store could not be reached, opened or migrated."""


class ModelIntegrityError(AutologError):
    """A model file does not match the sha256 recorded when it was saved."""


class ArtifactIntegrityError(ModelIntegrityError):
    """An artifact's size or sha256 differs from what the store recorded when it was written.

    A subclass of :class:`ModelIntegrityError` because loading a model verifies its files too.
    """


# Tracebacks and pickles name the public module, where users import these from.
for _error in (
    AutologError,
    InvalidInputError,
    NotFoundError,
    ConflictError,
    StoreError,
    ModelIntegrityError,
    ArtifactIntegrityError,
):
    _error.__module__ = "autolog.exceptions"
del _error
