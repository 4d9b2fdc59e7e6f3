"""An MLflow virtualenv (the bench's, reused when present) and stores written by real MLflow."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_VERSION = "3.17.2"
# The bench's MLflow venv (bench/_envs.py: ensure_mlflow_venv): same path and marker, so the
# bench and the tests create it once between them and both reuse it.
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
PRODUCER = Path(__file__).with_name("_mlflow_producer.py")


def _pins() -> dict:
    pins = {}
    for name in ("scikit-learn", "numpy", "scipy"):
        try:
            pins[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return pins


def _base_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.fixture(scope="session")
def mlflow_python() -> str:
    """Python of a virtualenv with MLflow 3.17.2 and this venv's scikit-learn (about 1 minute
    to create the first time; reused afterwards)."""
    python = MLFLOW_VENV / "bin" / "python"
    marker = MLFLOW_VENV / "bench-ready.json"
    wanted = {"mlflow": MLFLOW_VERSION, **_pins()}
    if marker.exists() and json.loads(marker.read_text()) == wanted and python.exists():
        return str(python)
    if MLFLOW_VENV.is_symlink():
        pytest.skip(f"{MLFLOW_VENV} links to a venv without mlflow=={MLFLOW_VERSION} and these pins")
    subprocess.run([_base_python(), "-m", "venv", "--clear", str(MLFLOW_VENV)], check=True)
    requirements = [f"mlflow=={MLFLOW_VERSION}"] + [f"{n}=={v}" for n, v in _pins().items()]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    marker.write_text(json.dumps(wanted))
    return str(python)


@pytest.fixture(scope="session")
def mlflow_stores(mlflow_python, tmp_path_factory) -> dict:
    """{"sqlite": (uri, facts), "file": (uri, facts)} written by one MLflow process."""
    folder = tmp_path_factory.mktemp("mlflow")
    forms = {
        "sqlite": f"sqlite:///{folder / 'mlflow.db'}",
        "file": str(
            folder / "file-store" / "mlruns"
        ),  # not ./mlruns: the sqlite form keeps its artifacts there
    }
    command = [mlflow_python, str(PRODUCER)]
    for form, uri in forms.items():
        command += [uri, str(folder / f"{form}.json")]
    env = {**os.environ, "MLFLOW_TRACKING_URI": "", "GIT_PYTHON_REFRESH": "quiet"}
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return {form: (uri, json.loads((folder / f"{form}.json").read_text())) for form, uri in forms.items()}
