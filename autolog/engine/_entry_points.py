"""Entry points and distribution versions read straight from ``sys.path``: no ``importlib.metadata``.

``importlib.metadata`` costs about 20-30 ms to import (email, zipfile, csv, pathlib ...) before it
scans anything, which is most of the budget of ``autolog()``. For the common layout (plain
directories on ``sys.path`` holding ``*.dist-info`` / ``*.egg-info``, no extra distribution
finders) this module gives the same answer as ``importlib.metadata.entry_points(group=...)``: the
same distributions in the same order, the first of each normalized name winning. For anything
else (a zip or ``.egg`` on ``sys.path``, a meta-path finder with ``find_distributions``) it defers
to ``importlib.metadata`` itself.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any, NamedTuple

_SEPARATORS = re.compile(r"[-_.]+")


class EntryPoint(NamedTuple):
    """``name = value`` of an entry-point group; ``load()`` imports ``module:attr``."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        module_name, _, attribute = self.value.partition(":")
        target = importlib.import_module(module_name.strip())
        attribute = attribute.split("[", 1)[0].strip()  # "module:attr [extra]"
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
        return target


def normalized_name(name: str) -> str:
    """``Scikit-Learn`` / ``scikit_learn`` / ``scikit.learn`` -> ``scikit_learn`` (PEP 503)."""
    return _SEPARATORS.sub("_", name).lower()


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` over the installed distributions (first distribution of
    each name wins), as ``importlib.metadata.entry_points(group=group)`` lists them."""
    distributions = _distribution_dirs()
    if distributions is None:
        return _entry_points_from_importlib(group)
    found = []
    for path, _version in distributions.values():
        text = _read(os.path.join(path, "entry_points.txt"))
        if text:
            found.extend(_parse(text, group))
    return found


def distribution_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None when it is not installed."""
    distributions = _distribution_dirs()
    if distributions is not None:
        entry = distributions.get(normalized_name(name))
        if entry is None:
            return None
        path, version = entry
        if version:
            return version
        version = _version_from_metadata(path)
        if version:
            return version
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _distribution_dirs() -> dict[str, tuple[str, str | None]] | None:
    """``{normalized name: (metadata directory, version from its name)}`` in importlib's order,
    or None when this fast path cannot vouch for giving importlib.metadata's answer."""
    for finder in sys.meta_path:
        if getattr(finder, "find_distributions", None) is not None and not _is_path_finder(finder):
            return None
    found: dict[str, tuple[str, str | None]] = {}
    for entry in sys.path:
        if not isinstance(entry, str):
            return None
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except NotADirectoryError:
            return None  # a zip archive on sys.path
        except OSError:
            continue  # missing (e.g. pythonXY.zip) or a path-hook pseudo entry: nothing to read
        if directory.lower().endswith(".egg"):
            return None
        infos, eggs = [], []
        for name in names:
            lower = name.lower()
            if lower.endswith(".dist-info"):
                infos.append(name)
            elif lower.endswith(".egg-info"):
                eggs.append(name)
        for name in infos + eggs:  # importlib.metadata: dist-info before egg-info per directory
            stem = name[: name.rfind(".")]
            dist_name, _, rest = stem.partition("-")
            key = normalized_name(dist_name)
            if key not in found:
                found[key] = (os.path.join(directory, name), rest.partition("-")[0] or None)
    return found


def _is_path_finder(finder: Any) -> bool:
    from importlib.machinery import PathFinder

    return finder is PathFinder or (isinstance(finder, type) and issubclass(finder, PathFinder))


def _parse(text: str, group: str) -> list[EntryPoint]:
    """The ``group`` section of an ``entry_points.txt`` (importlib.metadata's ``Sectioned``)."""
    found, section = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != group:
            continue
        name, _, value = line.partition("=")
        found.append(EntryPoint(name.strip(), value.strip(), group))
    return found


def _version_from_metadata(path: str) -> str | None:
    text = _read(os.path.join(path, "METADATA")) or _read(os.path.join(path, "PKG-INFO"))
    if text is None and os.path.isfile(path):  # a bare ``name.egg-info`` file
        text = _read(path)
    for line in (text or "").splitlines():
        if not line.strip():
            break  # end of the headers
        if line.lower().startswith("version:"):
            return line.split(":", 1)[1].strip() or None
    return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _entry_points_from_importlib(group: str) -> list[EntryPoint]:
    from importlib import metadata

    return [EntryPoint(ep.name, ep.value, group) for ep in metadata.entry_points(group=group)]
