"""Loading a model from a store: changed bytes are refused before anything is unpickled.

tests/models covers local directories; here models go through ``runs:/`` URIs of a real store,
for every pickle-based format, with payloads whose unpickling would leave a marker file.
"""

from __future__ import annotations

import json
import os
import pickle

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import autolog
from autolog.exceptions import AutologError, InvalidInputError, ModelIntegrityError, NotFoundError
from autolog.models import UntrustedTypesError, load_model, log_model

X, y = load_iris(return_X_y=True)
FILES = {"pickle": "model.pkl", "cloudpickle": "model.cloudpickle", "joblib": "model.joblib"}


class _Exploit:
    """Unpickling this creates ``marker``: proof that the bytes were (or were not) deserialized."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def logged(tmp_path, monkeypatch):
    """Log a model with ``serialization_format`` into a fresh store; returns (uri, model directory)."""
    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "store"))

    def log(serialization_format="pickle", model=None):
        model = model or LogisticRegression(max_iter=300).fit(X, y)
        with autolog.start_run() as run:
            info = log_model(model, "model", serialization_format=serialization_format)
        directory = autolog.Client().store.artifacts(run.info.run_id).local_path("model")
        return info.model_uri, directory

    return log


@pytest.mark.parametrize("serialization_format", list(FILES))
@pytest.mark.parametrize("tamper", ["replaced", "appended"])
def test_changed_model_bytes_are_refused_before_unpickling(logged, tmp_path, serialization_format, tamper):
    """Promise: a model file whose bytes changed raises ModelIntegrityError and is never deserialized."""
    uri, directory = logged(serialization_format)
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Exploit(str(marker)))
    path = os.path.join(directory, FILES[serialization_format])
    with open(path, "wb" if tamper == "replaced" else "ab") as handle:
        handle.write(payload)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_model(uri)
    assert not marker.exists()
    pickle.loads(payload).close()  # the payload is live: this is what loading would have done
    assert marker.exists()


def test_skops_refuses_a_dangerous_type_even_with_a_matching_digest(logged):
    """Promise: a skops model naming an untrusted type (os.system) is refused unless that type is listed."""
    model = make_pipeline(FunctionTransformer(os.system), LogisticRegression(max_iter=300))
    model.steps[1][1].fit(X, y)
    uri, _ = logged("skops", model)
    with pytest.raises(UntrustedTypesError) as raised:
        load_model(uri)
    assert "system" in str(raised.value) and "trusted_types=" in str(raised.value)
    with pytest.raises(UntrustedTypesError):
        load_model(uri, trusted_types=["sklearn.pipeline.Pipeline"])  # listing others is not enough


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("delete", NotFoundError),
        ("garbage", InvalidInputError),
        ("empty object", InvalidInputError),
        ("model file outside", InvalidInputError),
        ("unknown format", AutologError),
        ("sha256 missing", InvalidInputError),
    ],
)
def test_missing_or_malformed_metadata_gets_a_clear_error(logged, change, error):
    """Promise: a model directory with missing or malformed metadata raises autolog's error naming the problem."""
    uri, directory = logged()
    path = os.path.join(directory, "autolog-model.json")
    with open(path) as handle:
        document = json.load(handle)
    if change == "delete":
        os.remove(path)
    elif change == "garbage":
        _write(path, "{not json")
    elif change == "empty object":
        _write(path, "{}")
    else:
        if change == "model file outside":
            document["model_file"] = "../../../../../../etc/passwd"
        elif change == "unknown format":
            document["serialization_format"] = "marshal"
        else:
            del document["sha256"]
        _write(path, json.dumps(document))
    # Through the directory: by runs:/ the store's artifact record refuses any changed file first.
    with pytest.raises(error) as raised:
        load_model(directory)
    message = str(raised.value)
    assert "autolog-model.json" in message or "metadata" in message.lower() or "'marshal'" in message, message


def _write(path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
