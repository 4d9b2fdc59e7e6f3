"""The ``Store`` contract is complete: SqlStore implements exactly it, and every call that code
above the store makes on a store object is one of its methods."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from autolog.store import SqlStore, Store

REPO = Path(__file__).resolve().parents[2]
STORE_NAMES = {"store", "_store"}  # variables and attributes that hold a store


def _public_methods(cls) -> set:
    return {name for name, value in vars(cls).items() if callable(value) and not name.startswith("_")}


def _signature(function) -> list:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_store_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        Store()


def test_sql_store_implements_exactly_the_contract_with_its_signatures():
    assert issubclass(SqlStore, Store) and not SqlStore.__abstractmethods__
    implemented = set().union(*(_public_methods(cls) for cls in SqlStore.__mro__ if cls is not Store))
    assert implemented == set(Store.__abstractmethods__)
    for name in Store.__abstractmethods__:
        assert _signature(getattr(SqlStore, name)) == _signature(getattr(Store, name)), name
        assert inspect.getdoc(getattr(Store, name)), f"Store.{name} has no docstring"


def _holds_a_store(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in STORE_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in STORE_NAMES
    if isinstance(node, ast.Call):  # get_store(...).method(...)
        func = node.func
        return getattr(func, "id", None) == "get_store" or getattr(func, "attr", None) == "get_store"
    return False


def _calls_on_stores(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if _holds_a_store(node.func.value):
                yield node.func.attr, f"{path.relative_to(REPO)}:{node.lineno}"


def test_every_store_call_above_the_store_is_in_the_contract():
    sources = [
        path
        for folder in ("autolog", "integrations")
        for path in (REPO / folder).rglob("*.py")
        if "store" not in path.relative_to(REPO).parts[:2]
    ]
    calls = [call for path in sources for call in _calls_on_stores(path)]
    assert len({name for name, _ in calls}) > 30  # the scan does find the callers
    outside = [f"{name} at {where}" for name, where in calls if name not in Store.__abstractmethods__]
    assert outside == []
