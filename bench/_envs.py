"""The two interpreters: the project's .venv (autolog) and a cached venv with MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
AUTOLOG_PY = ROOT / ".venv" / "bin" / "python"
DEFAULT_MLFLOW = "3.17.2"


def mlflow_venv(version: str) -> Path:
    return BENCH / f".venv-mlflow-{version}" if version != DEFAULT_MLFLOW else BENCH / ".venv-mlflow"


def _run(cmd: list, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def package_version(python: Path, name: str) -> str | None:
    code = f"import importlib.metadata as m\ntry: print(m.version({name!r}))\nexcept Exception: print('')"
    out = _run([str(python), "-c", code]).strip()
    return out or None


def base_python() -> str:
    """The interpreter the project's .venv was made from (same CPython for both sides)."""
    cfg = (ROOT / ".venv" / "pyvenv.cfg").read_text().splitlines()
    for line in cfg:
        if line.startswith("executable"):
            return line.split("=", 1)[1].strip()
    return sys.executable


def ensure_autolog_installed() -> None:
    """README installs the project editable; do the same if it is missing (no dependency changes)."""
    if package_version(AUTOLOG_PY, "autolog") is None:
        print("[bench] installing the project (editable, --no-deps) into .venv", flush=True)
        _run([str(AUTOLOG_PY), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)])


def compile_autolog_bytecode() -> None:
    """Write the project's ``.pyc`` files, as ``pip install`` of a wheel does for both libraries.

    The editable install has none, and with ``PYTHONDONTWRITEBYTECODE`` set Python never writes
    them: every fresh process then compiled autolog's sources again (~0.1 s of the first fit on
    the shared machine) while MLflow's site-packages came precompiled.
    """
    _run([str(AUTOLOG_PY), "-m", "compileall", "-q", str(ROOT / "autolog"), str(ROOT / "integrations")])


def ensure_mlflow_venv(version: str) -> Path:
    """Create (once) a venv with mlflow==version and the scikit-learn/numpy/scipy of .venv."""
    venv = mlflow_venv(version)
    py = venv / "bin" / "python"
    marker = venv / "bench-ready.json"
    pins = {n: package_version(AUTOLOG_PY, n) for n in ("scikit-learn", "numpy", "scipy")}
    wanted = {"mlflow": version, **pins}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return py
    print(
        f"[bench] creating {venv.relative_to(ROOT)} with mlflow=={version} (one-off, a few minutes)",
        flush=True,
    )
    _run([base_python(), "-m", "venv", "--clear", str(venv)])
    reqs = [f"mlflow=={version}"] + [f"{n}=={v}" for n, v in pins.items() if v]
    _run([str(py), "-m", "pip", "install", "-q", *reqs])
    marker.write_text(json.dumps(wanted))
    return py


if __name__ == "__main__":
    ensure_mlflow_venv(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MLFLOW)
    print("ok")
