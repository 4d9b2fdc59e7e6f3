"""SQLAlchemy and the store's tables, imported on first use.

Importing SQLAlchemy 2.1 takes longer (~0.2 s) than the whole budget of a process's first
autologged fit, and that fit writes to a SQLite store through pre-rendered SQL text on stdlib
``sqlite3`` (:mod:`autolog.store._sqlite`). So no module on that path may import SQLAlchemy when
it is imported: the modules of the SQL store name it, the tables of :mod:`._schema` and the
engines of :mod:`._engine` through the three stand-ins below, written as::

    if TYPE_CHECKING:
        import sqlalchemy as sa
        from autolog.store import _engine, _schema as schema
    else:
        from autolog.store._lazy import engine_module as _engine, sa, schema

Type checkers see the real modules; at run time ``sa.select`` or ``schema.runs`` imports the
module on its first attribute access. The statements those modules used to build when imported
are built by cached functions instead (``functools.cache``; two threads may both build one the
first time, which is harmless). ``tests/integrations/sklearn/test_first_fit_light.py`` checks that
a first fit leaves SQLAlchemy unimported.

Why a stand-in object rather than :class:`importlib.util.LazyLoader` or a lazily composed class:
the store is used from background threads, and ``LazyLoader`` only became thread-safe in Python
3.12; a stand-in only calls :func:`importlib.import_module`, which the import lock serializes on
every version, and each module keeps its one name in ``sys.modules``. Composing ``SqlStore``
from hot and heavy halves would have split every mixin in two and made the class's methods
depend on the order of first use.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``, imported on the first attribute access.

    Each attribute read is then cached on the stand-in itself, so later reads are plain
    attribute lookups; meant for modules whose attributes never change (classes, functions,
    tables).
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # copy, pickle, inspect: not the module's business
            raise AttributeError(attribute)
        value = getattr(self._module(), attribute)
        setattr(self, attribute, value)
        return value

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)  # thread-safe: the import lock

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


sa = LazyModule("sqlalchemy")
schema = LazyModule("autolog.store._schema")
engine_module = LazyModule("autolog.store._engine")
