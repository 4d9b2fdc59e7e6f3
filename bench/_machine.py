"""What the numbers were measured on: machine, interpreters and package versions."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess

from _envs import AUTOLOG_PY, ROOT, package_version


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "autolog", "integrations"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


def load() -> dict:
    """Load average and CPU pressure: the machine is shared, so say how busy it was."""
    out = {"loadavg": os.getloadavg()}
    try:
        out["cpu_pressure_some_avg60"] = float(open("/proc/pressure/cpu").read().split()[2][6:])
    except (OSError, ValueError, IndexError):
        pass
    return out


def describe(mlflow_py) -> dict:
    names = ("scikit-learn", "numpy", "scipy")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "autolog_commit": _git_commit(),
        "autolog": package_version(AUTOLOG_PY, "autolog"),
        "mlflow": package_version(mlflow_py, "mlflow"),
        "autolog_venv": {n: package_version(AUTOLOG_PY, n) for n in names},
        "mlflow_venv": {n: package_version(mlflow_py, n) for n in names},
        "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
    }
