"""save_model / load_model on local directories: formats, integrity, metadata, signatures."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import autolog
from autolog._core._process import PROCESS
from autolog.exceptions import InvalidInputError, ModelIntegrityError, NotFoundError
from autolog.models import (
    METADATA_FILE_NAME,
    SERIALIZATION_FORMATS,
    Flavor,
    ModelMetadata,
    UntrustedTypesError,
    load_input_example,
    load_model,
    read_metadata,
    register_flavor,
    save_model,
)
from tests.models._helpers import double

FORMATS = list(SERIALIZATION_FORMATS)
SKLEARN_VERSION = importlib.metadata.version("scikit-learn")


def metadata_of(path) -> dict:
    return json.loads((path / METADATA_FILE_NAME).read_text())


def rewrite_metadata(path, **changes) -> None:
    data = metadata_of(path)
    data.update(changes)
    (path / METADATA_FILE_NAME).write_text(json.dumps(data))


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("serialization_format", FORMATS)
@pytest.mark.parametrize("model_name", ["logistic", "forest"])
def test_round_trip_arrays(tmp_path, request, iris, model_name, serialization_format):
    model = request.getfixturevalue(model_name)
    X, _ = iris
    path = tmp_path / "model"
    metadata = save_model(model, path, serialization_format=serialization_format)
    assert sorted(os.listdir(path)) == sorted([METADATA_FILE_NAME, metadata.model_file])
    # skops trusts scikit-learn's estimators, but not the trees' Cython class: the caller must
    trusted = ["sklearn.tree._tree.Tree"] if model_name == "forest" else None
    loaded = load_model(path, trusted_types=trusted)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("serialization_format", FORMATS)
def test_round_trip_column_transformer_pipeline(tmp_path, frame_data, column_pipeline, serialization_format):
    frame, _ = frame_data
    path = tmp_path / "pipeline"
    save_model(column_pipeline, path, serialization_format=serialization_format, input_example=frame)
    loaded = load_model(str(path))
    np.testing.assert_array_equal(loaded.predict(frame), column_pipeline.predict(frame))
    assert len(os.listdir(path)) == 3


def test_metadata_content(tmp_path, logistic, iris):
    path = tmp_path / "m"
    metadata = save_model(logistic, path)
    on_disk = metadata_of(path)
    assert on_disk == metadata.to_dict()
    assert on_disk["flavor"] == "sklearn"
    assert on_disk["model_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert on_disk["serialization_format"] == "pickle"
    assert on_disk["model_file"] == "model.pkl"
    model_bytes = (path / "model.pkl").read_bytes()
    assert on_disk["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert on_disk["size_bytes"] == len(model_bytes)
    assert on_disk["framework_version"] == SKLEARN_VERSION
    assert on_disk["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert on_disk["autolog_version"] == autolog.__version__
    assert isinstance(on_disk["created"], int) and on_disk["created"] > 1_600_000_000_000
    assert f"scikit-learn=={SKLEARN_VERSION}" in on_disk["requirements"]
    assert on_disk["input_example"] is None
    assert read_metadata(str(path)) == metadata


@pytest.mark.parametrize("serialization_format", ["cloudpickle", "joblib", "skops"])
def test_requirements_pin_the_serializer(tmp_path, logistic, serialization_format):
    metadata = save_model(logistic, tmp_path / "m", serialization_format=serialization_format)
    version = importlib.metadata.version(serialization_format)
    assert f"{serialization_format}=={version}" in metadata.requirements
    assert f"scikit-learn=={SKLEARN_VERSION}" in metadata.requirements


def test_formats_are_chosen_by_metadata_not_guessed(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path, serialization_format="joblib")
    rewrite_metadata(path, serialization_format="skops")  # wrong format recorded, same sha256
    with pytest.raises(Exception) as raised:
        load_model(path)
    assert not isinstance(raised.value, ModelIntegrityError)


def test_no_staging_directory_is_left_behind(tmp_path, logistic):
    save_model(logistic, tmp_path / "m")
    assert os.listdir(tmp_path) == ["m"]


def test_empty_existing_directory_is_accepted(tmp_path, logistic):
    (tmp_path / "m").mkdir()
    save_model(logistic, tmp_path / "m")
    assert load_model(tmp_path / "m").n_features_in_ == 4


def test_file_uri(tmp_path, logistic):
    save_model(logistic, tmp_path / "with space")
    uri = (tmp_path / "with space").as_uri()
    assert uri.startswith("file:///") and "%20" in uri
    assert isinstance(load_model(uri), LogisticRegression)


# -- refusals: nothing written ---------------------------------------------------------------


def test_non_empty_directory_refused(tmp_path, logistic):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("x")
    with pytest.raises(InvalidInputError, match="not empty"):
        save_model(logistic, tmp_path / "m")
    assert os.listdir(tmp_path / "m") == ["keep.txt"]


def test_existing_file_refused(tmp_path, logistic):
    (tmp_path / "m").write_text("x")
    with pytest.raises(InvalidInputError, match="existing file"):
        save_model(logistic, tmp_path / "m")


def test_unknown_format_lists_the_valid_ones(tmp_path, logistic):
    with pytest.raises(InvalidInputError) as raised:
        save_model(logistic, tmp_path / "m", serialization_format="parquet")
    for name in FORMATS:
        assert repr(name) in str(raised.value)
    assert not (tmp_path / "m").exists()


def test_unknown_flavor_and_bad_signature(tmp_path, logistic):
    with pytest.raises(InvalidInputError, match="unknown model flavor 'tensorflow'"):
        save_model(logistic, tmp_path / "m", flavor="tensorflow")
    with pytest.raises(InvalidInputError, match="signature"):
        save_model(logistic, tmp_path / "m", signature="yes")
    assert not (tmp_path / "m").exists()


def test_unpicklable_model_leaves_nothing(tmp_path):
    model = FunctionTransformer(func=lambda X: X)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_model(model, tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_missing_optional_package_names_the_pip_install(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['cloudpickle'] = None  # as if it were not installed\n"
        "from autolog.models import save_model, MissingDependencyError\n"
        "try:\n"
        f"    save_model({{'a': 1}}, {str(tmp_path / 'm')!r}, serialization_format='cloudpickle')\n"
        "except MissingDependencyError as error:\n"
        "    print(error)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install cloudpickle" in completed.stdout
    assert not (tmp_path / "m").exists()


# -- integrity -------------------------------------------------------------------------------


class _Exploit:
    """Unpickling this writes a marker file: proof that a pickle was (or was not) loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_tampered_model_is_refused_before_deserializing(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    expected = metadata_of(path)["sha256"]
    marker = tmp_path / "pwned"
    (path / "model.pkl").write_bytes(pickle.dumps(_Exploit(str(marker))))
    actual = hashlib.sha256((path / "model.pkl").read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError) as raised:
        load_model(path)
    message = str(raised.value)
    assert str(path / "model.pkl") in message
    assert expected in message and actual in message
    assert not marker.exists()


def test_single_flipped_byte_is_refused(tmp_path, forest):
    path = tmp_path / "m"
    save_model(forest, path, serialization_format="joblib")
    data = bytearray((path / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / "model.joblib").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="model.joblib"):
        load_model(path)


def test_missing_metadata(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    os.remove(path / METADATA_FILE_NAME)
    with pytest.raises(NotFoundError, match=METADATA_FILE_NAME):
        load_model(path)


def test_malformed_metadata(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    (path / METADATA_FILE_NAME).write_text("{not json")
    with pytest.raises(InvalidInputError, match=rf"{METADATA_FILE_NAME}.*not valid JSON"):
        load_model(path)
    (path / METADATA_FILE_NAME).write_text("[1, 2]")
    with pytest.raises(InvalidInputError, match="not a JSON object"):
        load_model(path)


def test_metadata_missing_fields(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    data = metadata_of(path)
    del data["sha256"], data["model_file"]
    (path / METADATA_FILE_NAME).write_text(json.dumps(data))
    with pytest.raises(InvalidInputError) as raised:
        load_model(path)
    assert "model_file" in str(raised.value) and "sha256" in str(raised.value)
    assert METADATA_FILE_NAME in str(raised.value)


def test_metadata_cannot_point_outside_the_directory(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    rewrite_metadata(path, model_file="../elsewhere.pkl")
    with pytest.raises(InvalidInputError, match="plain file name"):
        load_model(path)


def test_missing_model_file_and_directory(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    os.remove(path / "model.pkl")
    with pytest.raises(NotFoundError, match="model.pkl"):
        load_model(path)
    with pytest.raises(NotFoundError, match="no model directory"):
        load_model(tmp_path / "absent")


@pytest.mark.parametrize(
    "uri", ["s3://bucket/model", "models:/name", "models:/name@", "runs:/", "runs:/abc", "runs:abc/model", ""]
)
def test_bad_uris(uri):
    with pytest.raises(InvalidInputError):
        load_model(uri)


# -- skops trust -----------------------------------------------------------------------------


def test_skops_refuses_untrusted_types_until_listed(tmp_path, iris):
    X, y = iris
    model = make_pipeline(FunctionTransformer(double), LogisticRegression(max_iter=300)).fit(X, y)
    path = tmp_path / "m"
    save_model(model, path, serialization_format="skops")
    with pytest.raises(UntrustedTypesError) as raised:
        load_model(path)
    assert "tests.models._helpers.double" in str(raised.value)
    assert "trusted_types=" in str(raised.value)
    loaded = load_model(path, trusted_types=["tests.models._helpers.double"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_skops_default_types_need_no_trust(tmp_path, logistic, iris):
    save_model(logistic, tmp_path / "m", serialization_format="skops")
    np.testing.assert_array_equal(load_model(tmp_path / "m").predict(iris[0]), logistic.predict(iris[0]))


# -- version drift ---------------------------------------------------------------------------


def test_framework_version_mismatch_warns_once(tmp_path, logistic):
    path = tmp_path / "m"
    save_model(logistic, path)
    rewrite_metadata(path, framework_version="0.0.1")
    PROCESS.reset("models.version_warnings")
    with pytest.warns(UserWarning, match=r"scikit-learn 0\.0\.1.*" + SKLEARN_VERSION.replace(".", r"\.")):
        load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(path)  # second load: silent


def test_same_version_is_silent(tmp_path, logistic):
    save_model(logistic, tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(tmp_path / "m")


# -- signatures and input examples -----------------------------------------------------------


def test_signature_from_numpy_example(tmp_path, logistic, iris):
    X, _ = iris
    metadata = save_model(logistic, tmp_path / "m", input_example=X)
    assert metadata.signature == {
        "inputs": {"shape": [-1, 4], "dtype": "float64"},
        "outputs": {"kind": "classifier", "dtype": "int64", "shape": [-1]},
    }
    example = load_input_example(tmp_path / "m")
    np.testing.assert_array_equal(example, X[:5])


def test_signature_from_dataframe_example(tmp_path, column_pipeline, frame_data):
    frame, _ = frame_data
    metadata = save_model(column_pipeline, tmp_path / "m", input_example=frame)
    assert metadata.signature["inputs"] == [
        {"name": "age", "dtype": str(frame["age"].dtype)},
        {"name": "income", "dtype": "float64"},
        {"name": "city", "dtype": str(frame["city"].dtype)},
    ]
    assert metadata.signature["outputs"]["kind"] == "classifier"
    assert metadata.input_example == "input_example.json"
    example = load_input_example(tmp_path / "m")
    assert list(example.columns) == ["age", "income", "city"] and len(example) == 5
    np.testing.assert_array_equal(column_pipeline.predict(example), column_pipeline.predict(frame.iloc[:5]))


def test_signature_without_example_uses_fitted_attributes(tmp_path, logistic, column_pipeline):
    assert save_model(logistic, tmp_path / "a").signature["inputs"] == {"shape": [-1, 4], "dtype": None}
    inputs = save_model(column_pipeline, tmp_path / "b").signature["inputs"]
    assert [item["name"] for item in inputs] == ["age", "income", "city"]


def test_signature_off_or_given(tmp_path, logistic):
    assert save_model(logistic, tmp_path / "a", signature=False).signature is None
    given = {"inputs": {"shape": [-1, 4], "dtype": "float32"}, "outputs": None}
    assert save_model(logistic, tmp_path / "b", signature=given).signature == given
    assert metadata_of(tmp_path / "b")["signature"] == given


# -- flavors ---------------------------------------------------------------------------------


class TextModel:
    def __init__(self, words):
        self.words = words


class TextFlavor(Flavor):
    """A native-format flavor, as an integration would add: one word per line."""

    name = "test-text"
    framework = None
    serialization_formats = ("text",)

    def save(self, model, directory, serialization_format):
        with open(os.path.join(directory, "words.txt"), "w") as f:
            f.write("\n".join(model.words))
        return "words.txt"

    def load(self, path, metadata, *, data=None, **kwargs):
        return TextModel(data.decode().split("\n"))


def test_registered_flavor_round_trip(tmp_path):
    register_flavor(TextFlavor())
    metadata = save_model(
        TextModel(["a", "b"]), tmp_path / "m", flavor="test-text", serialization_format="text"
    )
    assert metadata.model_file == "words.txt"
    assert metadata.sha256 == hashlib.sha256(b"a\nb").hexdigest()
    assert load_model(tmp_path / "m").words == ["a", "b"]
    with pytest.raises(InvalidInputError, match="does not support serialization_format 'pickle'"):
        save_model(TextModel([]), tmp_path / "n", flavor="test-text", serialization_format="pickle")


def test_metadata_round_trip_ignores_unknown_keys():
    data = {
        "flavor": "sklearn",
        "model_class": "x.Y",
        "serialization_format": "pickle",
        "model_file": "model.pkl",
        "sha256": "0" * 64,
        "added_by_a_future_version": True,
    }
    assert ModelMetadata.from_dict(data).model_file == "model.pkl"


def test_unserializable_input_example_warns_and_still_saves(tmp_path, logistic):
    example = np.empty((2, 4), dtype=object)
    example[:] = object()
    with pytest.warns(UserWarning, match="input example not saved"):
        metadata = save_model(logistic, tmp_path / "m", input_example=example, signature=False)
    assert metadata.input_example is None
    assert sorted(os.listdir(tmp_path / "m")) == sorted([METADATA_FILE_NAME, "model.pkl"])


@pytest.mark.parametrize("atomic", [True, False])
def test_write_metadata_compact_and_read_back(tmp_path, atomic):
    from autolog.models._metadata import read_metadata, write_metadata

    metadata = ModelMetadata(
        flavor="sklearn",
        model_class="x.Y",
        serialization_format="pickle",
        model_file="model.pkl",
        sha256="a" * 64,
        signature={"inputs": [{"name": "é", "type": "double"}]},
        requirements=["a==1"],
    )
    path = write_metadata(str(tmp_path), metadata, atomic=atomic)
    assert os.listdir(tmp_path) == [METADATA_FILE_NAME]  # no temp file left
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644 & ~_umask())
    text = open(path, encoding="utf-8").read()
    assert text.count("\n") == 1 and json.loads(text) == metadata.to_dict()
    assert read_metadata(str(tmp_path)) == metadata
    if not atomic:
        with pytest.raises(FileExistsError):  # never overwrites: only for a fresh staging directory
            write_metadata(str(tmp_path), metadata, atomic=False)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
