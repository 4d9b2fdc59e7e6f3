"""Workload 8b: install footprint beyond scikit-learn's own (packages and MB of site-packages).

Baseline: a venv with the same scikit-learn/numpy/scipy (cached in bench/.venv-sklearn). autolog:
a throwaway venv with the baseline pins, then `pip install <project>` (not editable). MLflow: the
bench's MLflow venv, built the same way. Runs in the orchestrator (it only calls pip).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path


def _pip(py: Path, *args: str) -> str:
    return subprocess.run([str(py), "-m", "pip", *args], check=True, capture_output=True, text=True).stdout


def _site_packages(py: Path) -> Path:
    out = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(out)


def _du_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def _inventory(py: Path) -> dict:
    pkgs = {p["name"].lower(): p["version"] for p in json.loads(_pip(py, "list", "--format=json"))}
    return {"packages": pkgs, "bytes": _du_bytes(_site_packages(py))}


def _venv(path: Path, base_python: str, pins: list[str]) -> Path:
    subprocess.run([base_python, "-m", "venv", "--clear", str(path)], check=True)
    py = path / "bin" / "python"
    _pip(py, "install", "-q", *pins)
    return py


def _diff(base: dict, other: dict) -> dict:
    extra = sorted(set(other["packages"]) - set(base["packages"]))
    return {"packages": len(extra), "names": extra, "mb": round((other["bytes"] - base["bytes"]) / 1e6, 1)}


def measure(bench: Path, root: Path, base_python: str, pins: list[str], mlflow_py: Path) -> dict:
    key = hashlib.sha256(
        (root / "pyproject.toml").read_bytes() + repr(pins).encode() + str(mlflow_py).encode()
    ).hexdigest()[:12]
    cache = bench / ".cache" / f"footprint-{key}.json"
    if cache.exists():
        return json.loads(cache.read_text()) | {"cached": True}
    base_py = bench / ".venv-sklearn" / "bin" / "python"
    if not base_py.exists():
        _venv(bench / ".venv-sklearn", base_python, pins)
    base = _inventory(base_py)
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        py = _venv(Path(tmp) / "venv", base_python, pins)
        _pip(py, "install", "-q", str(root))
        ours = _diff(base, _inventory(py))
    result = {"autolog": ours, "mlflow": _diff(base, _inventory(mlflow_py))}
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(result))
    return result | {"cached": False}
