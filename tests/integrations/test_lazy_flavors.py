"""Discovering the integrations in ``autolog()`` imports no model code; the flavors load on demand."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest


def test_autolog_imports_neither_models_nor_framework_flavors():
    code = (
        "import sys, autolog\n"
        "autolog.autolog()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('autolog.models') or m.endswith('._flavor'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["xgboost", "lightgbm", "pytorch", "keras"])
def test_flavor_entry_points_load_without_the_framework(name):
    from autolog.models import Flavor

    [entry_point] = entry_points(group="autolog.flavors", name=name)
    flavor = entry_point.load()()
    assert isinstance(flavor, Flavor) and flavor.name == name


@pytest.mark.parametrize(
    "package, attribute",
    [
        ("xgboost", "XGBoostFlavor"),
        ("lightgbm", "LightGBMFlavor"),
        ("lightning", "PyTorchFlavor"),
        ("keras", "KerasFlavor"),
    ],
)
def test_flavor_classes_still_reachable_from_the_package(package, attribute):
    import importlib

    module = importlib.import_module(f"autolog.integrations.{package}")
    flavor_module = importlib.import_module(f"autolog.integrations.{package}._flavor")
    assert getattr(module, attribute) is getattr(flavor_module, attribute)
