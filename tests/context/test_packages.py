"""Package versions and model requirements from installed distribution metadata."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from autolog.context import distribution_for_module, package_versions, requirements_for

SKLEARN = f"scikit-learn=={importlib.metadata.version('scikit-learn')}"
NUMPY = f"numpy=={importlib.metadata.version('numpy')}"


def test_package_versions_skips_missing():
    versions = package_versions(["scikit-learn", "numpy", "surely-not-installed-pkg"])
    assert versions == {
        "scikit-learn": importlib.metadata.version("scikit-learn"),
        "numpy": importlib.metadata.version("numpy"),
    }


def test_module_to_distribution():
    assert distribution_for_module("sklearn") == "scikit-learn"
    assert distribution_for_module("numpy") == "numpy"
    assert distribution_for_module("json") is None
    assert distribution_for_module("__main__") is None
    assert distribution_for_module("module_nobody_installed") is None


def test_fitted_estimator_requirements():
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    assert requirements_for(model) == [NUMPY, SKLEARN]


def test_unfitted_estimator_needs_only_its_package():
    assert requirements_for(LogisticRegression()) == [SKLEARN]


def test_nested_estimators_and_functions():
    pipeline = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression())
    assert set(requirements_for(pipeline)) == {NUMPY, SKLEARN}


def test_pipeline_with_column_transformer_on_a_dataframe():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
    pipeline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["x"]), ("cat", OneHotEncoder(), ["c"])]),
        RandomForestClassifier(n_estimators=3, random_state=0),
    ).fit(frame, [0, 1, 0, 1])
    requirements = requirements_for(pipeline)
    assert SKLEARN in requirements and NUMPY in requirements
    assert all("==" in pin for pin in requirements)


class LocalModel:
    """A class from the test suite: not an installed distribution, so not a requirement."""

    def __init__(self):
        self.weights = np.zeros(3)


def test_local_classes_are_skipped():
    assert requirements_for(LocalModel()) == [NUMPY]


def test_no_subprocess_and_no_new_imports():
    code = (
        "import sys\n"
        "import subprocess\n"
        "calls = []\n"
        "subprocess.Popen.__init__ = lambda *a, **k: calls.append(a)\n"
        "from autolog.context import requirements_for\n"
        "class M: pass\n"
        "print(requirements_for(M()), calls, 'numpy' in sys.modules, 'sklearn' in sys.modules)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[] [] False False"


def test_name_and_version_headers_agree_with_importlib_metadata():
    from autolog.context._packages import _read_name_and_version

    checked = 0
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        assert _read_name_and_version(name) == (name, dist.version), name
        checked += 1
    assert checked > 20
    assert _read_name_and_version("no-such-distribution-here") is None
