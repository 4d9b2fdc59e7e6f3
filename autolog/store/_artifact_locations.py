"""Artifact locations stored relative to the store's root, so a store directory can move.

A SQLite store's root is the directory of its database file. Experiment and run artifact
locations inside that directory (the default layout: ``<root>/artifacts/<experiment>/<run>/...``)
are stored as ``/``-separated relative paths and resolved against the root when read; anything
else (another directory, ``s3://...``, a PostgreSQL store) is stored as given. Copying or moving
the directory therefore yields a working, independent store. Stored values written before
migration 0004 are absolute, so a relative value is never ambiguous.
"""

from __future__ import annotations

import os
import posixpath
from urllib.parse import urlparse


def store_root_of(db_path: str | None) -> str | None:
    """The root of a SQLite store (its database file's directory); ``None`` for other stores."""
    return os.path.dirname(os.path.abspath(db_path)) if db_path else None


def is_relative_location(value: str) -> bool:
    """Whether a stored location is relative to the store root (not absolute, no URL scheme)."""
    if not value or os.path.isabs(value):
        return False
    return ":" not in value or len(urlparse(value).scheme) <= 1  # no colon: no scheme, no parse


def to_stored(location: str, store_root: str | None) -> str:
    """The value to store for an absolute location: relative when inside ``store_root``."""
    if store_root is None or not os.path.isabs(location):
        return location
    relative = os.path.relpath(location, store_root)
    if relative == "." or relative.startswith(".." + os.sep) or relative == "..":
        return location
    return relative.replace(os.sep, "/")


def to_absolute(stored: str, store_root: str | None) -> str:
    """The absolute location of a stored value (relative ones resolve against ``store_root``)."""
    if store_root is None or not is_relative_location(stored):
        return stored
    return os.path.join(store_root, *stored.split("/"))


def join_location(location: str, *parts: str) -> str:
    """``location/part/...`` for a local path or a URL alike."""
    if is_relative_location(location) or "://" in location:
        return posixpath.join(location, *parts)
    return os.path.join(location, *parts)
