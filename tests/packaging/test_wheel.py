"""The built wheel installs the integrations as ``autolog.integrations``, never as ``integrations``.

A user project with its own ``integrations/`` package next to its training script must not shadow
autolog's integrations (it did when the wheel installed a top-level ``integrations`` package).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TRAINING_SCRIPT = """
import integrations.mine  # the user's own package of that name
from autolog import autolog, search_runs
autolog()
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
LogisticRegression(max_iter=200).fit(X, y)
runs = search_runs(output_format="list")
print("RUNS", len(runs), runs[0].data.tags["estimator_class"] if runs else None)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("autolog-*.whl")
    return path


def test_wheel_has_no_top_level_integrations_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_levels = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_levels == {"autolog"}
    assert "autolog/integrations/sklearn/__init__.py" in names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "sklearn = autolog.integrations.sklearn:SklearnIntegration" in text
    assert "= integrations." not in text


@pytest.mark.slow
def test_users_own_integrations_package_does_not_shadow_autologs(wheel, tmp_path):
    # A fresh venv with the wheel installed; the dependencies come from this environment's
    # site-packages through a .pth line (appended after the venv's own site-packages, so the
    # wheel's autolog wins over this checkout's editable install).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    project = tmp_path / "project"
    (project / "integrations").mkdir(parents=True)
    (project / "integrations" / "__init__.py").write_text("")
    (project / "integrations" / "mine.py").write_text("VALUE = 1\n")
    (project / "train.py").write_text(textwrap.dedent(TRAINING_SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLOG_", "PYTHONPATH"))}
    result = subprocess.run(
        [str(python), "train.py"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "RUNS 1 sklearn.linear_model._logistic.LogisticRegression" in result.stdout, (
        result.stdout + result.stderr
    )
    where = subprocess.run(
        [str(python), "-c", "import autolog.integrations.sklearn as m; print(m.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(site) in where
