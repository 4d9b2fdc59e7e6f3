"""The MLflow importer's pieces that need no MLflow: tag mapping, the pickle's class, errors."""

from __future__ import annotations

import pickle
import subprocess
import sys

from sklearn.linear_model import LinearRegression

from autolog.cli import main as cli
from autolog.importers._mlflow import _display_uri, map_tags
from autolog.importers._mlflow_models import pickled_class


def test_system_tags_are_mapped_and_others_kept():
    tags = {
        "mlflow.user": "ann",
        "mlflow.source.git.commit": "abc",
        "mlflow.runName": "r",
        "mlflow.parentRunId": "p" * 32,
        "mlflow.autologging": "sklearn",
        "team": "x",
    }
    assert map_tags(tags) == {
        "autolog.user": "ann",
        "autolog.git.commit": "abc",
        "mlflow.autologging": "sklearn",
        "team": "x",
    }
    assert map_tags(tags, keep_parent_tag=True)["mlflow.parentRunId"] == "p" * 32


def test_the_model_class_is_read_without_unpickling(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(LinearRegression()))
    assert pickled_class(str(path)) == "sklearn.linear_model._base.LinearRegression"
    path.write_bytes(b"not a pickle")
    assert pickled_class(str(path)) is None


def test_a_password_in_the_source_is_not_reported():
    assert _display_uri("postgresql://ann:s3cret@db:5432/mlflow") == "postgresql://ann:***@db:5432/mlflow"
    assert _display_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"


def test_without_mlflow_the_command_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None if name == "mlflow" else object())
    assert cli(["--store", str(tmp_path), "import", "mlflow", "sqlite:///x.db"]) == 1
    err = capsys.readouterr().err
    assert "pip install 'autolog[mlflow-import]'" in err and "--mlflow-python" in err


def test_the_cli_and_the_importer_import_no_mlflow():
    code = "import sys, autolog.cli, autolog.importers; print('mlflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
