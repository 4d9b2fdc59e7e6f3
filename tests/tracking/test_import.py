"""``import autolog`` is cheap and lazy: no SQLAlchemy, pandas, numpy or scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import autolog

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["sqlalchemy", "alembic", "sklearn", "numpy", "pandas", "matplotlib", "yaml"]

_PROBE = f"""
import json, sys, time
start = time.perf_counter()
import autolog
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _probe() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_import_autolog_loads_no_heavy_dependency_and_is_fast():
    _probe()  # warm the bytecode cache
    best = min(_probe()["seconds"] for _ in range(3))
    result = _probe()
    assert result["loaded"] == []
    print(f"import autolog: {best * 1000:.1f} ms (best of 3)")
    assert best < 0.1


def test_tracking_import_loads_no_heavy_dependency():
    code = (
        "import sys, autolog, autolog.tracking, autolog.cli; print([m for m in %r if m in sys.modules])"
        % HEAVY
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_public_names_resolve_lazily():
    from autolog import Client, RunStatus, ViewType, start_run

    assert RunStatus.FINISHED == "FINISHED"
    assert ViewType.ALL == "all"
    assert callable(start_run) and callable(Client)
    assert autolog.InvalidInputError.__module__ == "autolog.exceptions"
    assert isinstance(autolog.__version__, str)


def test_dir_lists_lazy_names_including_other_layers():
    names = dir(autolog)
    for name in (
        "start_run",
        "log_metric",
        "Client",
        "RunStatus",
        "autolog",
        "disabled",
        "load_model",
        "log_model",
        "save_model",
    ):
        assert name in names


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError):
        autolog.no_such_name


def test_from_autolog_import_autolog_gives_the_engine_function():
    engine = pytest.importorskip("autolog.engine")
    if not hasattr(engine, "autolog"):
        pytest.skip("autolog.engine does not define autolog() yet")
    from autolog import autolog as autolog_function

    assert autolog_function is engine.autolog and callable(autolog_function)


def test_model_functions_resolve_from_models_layer():
    models = pytest.importorskip("autolog.models")
    if not hasattr(models, "load_model"):
        pytest.skip("autolog.models does not define load_model yet")
    assert autolog.load_model is models.load_model
