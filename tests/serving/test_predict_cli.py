"""``autolog models predict``: batch scoring of files, chunk by chunk, with the server's checks."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

import autolog
from tests.serving._models import iris_frame
from tests.serving.conftest import AUTOLOG, serving_env

X, y = iris_frame()


def predict(serving_store, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AUTOLOG, "models", "predict", *args],
        env=serving_env(serving_store["store"]),
        cwd=serving_store["store"].parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def reference(serving_store):
    autolog.set_tracking_uri(str(serving_store["store"]))
    try:
        return autolog.load_model("models:/iris@champion")
    finally:
        autolog.set_tracking_uri(None)


def test_csv_in_small_chunks_equals_load_model(serving_store, reference, tmp_path):
    X.to_csv(tmp_path / "in.csv", index=False)
    result = predict(
        serving_store,
        "models:/iris@champion",
        "-i",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--chunk-rows",
        "7",
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 150 predictions" in result.stderr
    scored = pd.read_csv(tmp_path / "out.csv")
    assert list(scored.columns) == ["prediction"]
    np.testing.assert_array_equal(scored["prediction"].to_numpy(), reference.predict(X))


def test_probabilities_get_one_column_per_class(serving_store, reference, tmp_path):
    X.to_csv(tmp_path / "in.csv", index=False)
    result = predict(
        serving_store, "models:/iris@champion", "-i", str(tmp_path / "in.csv"), "--method", "predict_proba"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "predict_proba_0,predict_proba_1,predict_proba_2" and len(lines) == 151
    np.testing.assert_allclose(np.loadtxt(lines[1:], delimiter=","), reference.predict_proba(X))


def test_json_input_in_an_mlflow_format(serving_store, reference, tmp_path):
    (tmp_path / "in.json").write_text(
        X.head(20).to_json(orient="split", index=False).join(['{"dataframe_split": ', "}"])
    )
    result = predict(serving_store, "models:/iris@champion", "-i", str(tmp_path / "in.json"))
    assert result.returncode == 0, result.stderr
    assert [int(v) for v in result.stdout.split()[1:]] == list(reference.predict(X.head(20)))


def test_a_bad_chunk_names_its_rows_and_leaves_no_output(serving_store, tmp_path):
    frame = X.copy()
    frame["petal_width"] = frame["petal_width"].astype(object)
    frame.loc[120, "petal_width"] = "wide"
    frame.to_csv(tmp_path / "in.csv", index=False)
    result = predict(
        serving_store,
        "models:/iris@champion",
        "-i",
        str(tmp_path / "in.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--chunk-rows",
        "50",
    )
    assert result.returncode == 1
    assert (
        "rows 101-150" in result.stderr
        and "column 'petal_width' expects float64: row 20 holds 'wide'" in result.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_unknown_input_kind_and_missing_file(serving_store, tmp_path):
    result = predict(serving_store, "models:/iris@champion", "-i", str(tmp_path / "in.xlsx"))
    assert result.returncode == 1 and "use one of .csv, .json, .parquet" in result.stderr
    result = predict(serving_store, "models:/iris@champion", "-i", str(tmp_path / "none.csv"))
    assert result.returncode == 1 and "no input file" in result.stderr


def test_an_empty_cell_is_named(serving_store, tmp_path):
    frame = X.copy()
    frame.loc[3, "sepal_length"] = None
    frame.to_csv(tmp_path / "in.csv", index=False)
    result = predict(serving_store, "models:/iris@champion", "-i", str(tmp_path / "in.csv"))
    assert result.returncode == 1
    assert "rows 1-150" in result.stderr and "(column 'sepal_length', row 3, is empty)" in result.stderr
