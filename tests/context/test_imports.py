"""Importing autolog.context or autolog.models pulls in no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "scipy", "sklearn", "sqlalchemy", "alembic", "skops", "cloudpickle", "joblib")


@pytest.mark.parametrize("module", ["autolog.context", "autolog.models"])
def test_import_pulls_in_no_heavy_library(module):
    code = (
        "import json, sys\n"
        f"import {module}\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(completed.stdout) == []


def test_collecting_context_imports_no_heavy_library():
    code = (
        "import json, sys\n"
        "from autolog.context import collect_run_context, package_versions\n"
        "collect_run_context(); package_versions(['scikit-learn'])\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(completed.stdout) == []
