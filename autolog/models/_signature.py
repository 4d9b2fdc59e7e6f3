"""Model signatures (what goes in, what comes out) and input examples.

Inference never raises: a signature is a description, and failing to describe a model must not
stop it being saved. numpy/pandas are only looked up in ``sys.modules`` (data of their types exists
only once they are imported).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from autolog._core._exceptions import InvalidInputError
from autolog._core._json import MAX_INPUT_EXAMPLE_BYTES, read_bounded
from autolog._files import open_new, open_no_follow

INPUT_EXAMPLE_FILE_NAME = "input_example.json"
INPUT_EXAMPLE_ROWS = 5


def infer_signature(model: Any, X: Any = None) -> dict | None:
    """Describe a model's inputs and outputs.

    Parameters
    ----------
    model : object
        A fitted model.
    X : array-like, optional
        Example input (only its first rows are used). Without it, the inputs come from the
        fitted estimator's ``feature_names_in_`` or ``n_features_in_`` (dtypes unknown).

    Returns
    -------
    dict or None
        ``{"inputs": [{"name", "dtype"}, ...]`` for tabular data with column names, or
        ``{"inputs": {"shape", "dtype"}}`` for arrays; ``"outputs": {"kind", "dtype", "shape"}``
        with the keys that could be determined. None when nothing is known.
    """
    try:
        head = take_head(X) if X is not None else None
        inputs = _inputs_from_data(head) if head is not None else _inputs_from_model(model)
        outputs = _outputs(model, head)
    except Exception:  # a description must never stop a save
        return None
    if inputs is None and not outputs:
        return None
    return {"inputs": inputs, "outputs": outputs or None}


def take_head(X: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Any:
    """Return the first ``rows`` rows of ``X`` (DataFrame, array, sparse matrix or list)."""
    if hasattr(X, "iloc"):
        return X.iloc[:rows]
    if hasattr(X, "shape") and hasattr(X, "__getitem__") and len(getattr(X, "shape", ())) > 0:
        return X[:rows]
    if isinstance(X, (list, tuple)):
        return X[:rows]
    return X


def _inputs_from_data(X: Any):
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(X, pandas.DataFrame):
        return [{"name": str(c), "dtype": str(dt)} for c, dt in zip(X.columns, X.dtypes)]
    if pandas is not None and isinstance(X, pandas.Series):
        return [{"name": str(X.name), "dtype": str(X.dtype)}]
    array = _as_array(X)
    if array is None:
        return None
    description = {"shape": [-1, *(int(n) for n in array.shape[1:])], "dtype": str(array.dtype)}
    if getattr(X, "format", None) and hasattr(X, "tocsr"):
        description["sparse_format"] = X.format
    return description


def _as_array(X: Any):
    if hasattr(X, "shape") and hasattr(X, "dtype"):  # ndarray, sparse matrix
        return X
    numpy = sys.modules.get("numpy")
    return numpy.asarray(X) if numpy is not None else None


def _inputs_from_model(model: Any):
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [{"name": str(name), "dtype": None} for name in names]
    n_features = getattr(model, "n_features_in_", None)
    if isinstance(n_features, int):
        return {"shape": [-1, n_features], "dtype": None}
    return None


def _outputs(model: Any, head: Any) -> dict:
    outputs: dict[str, Any] = {}
    kind = _estimator_kind(model)
    if kind:
        outputs["kind"] = kind
    classes = getattr(model, "classes_", None)
    if classes is not None and hasattr(classes, "dtype"):
        outputs["dtype"] = str(classes.dtype)
        outputs["shape"] = [-1]
    if head is not None:
        outputs.update(_outputs_from_prediction(model, head))
    return outputs


def _estimator_kind(model: Any) -> str | None:
    try:
        kind = model.__sklearn_tags__().estimator_type
    except Exception:
        kind = getattr(model, "_estimator_type", None)
    if kind:
        return str(kind)
    if hasattr(model, "transform") and not hasattr(model, "predict"):
        return "transformer"
    return None


def _outputs_from_prediction(model: Any, head: Any) -> dict:
    method = getattr(model, "predict", None) or getattr(model, "transform", None)
    if method is None:
        return {}
    try:
        prediction = method(head)
    except Exception:  # e.g. an unfitted model, or a model that needs more rows
        return {}
    array = _as_array(prediction)
    if array is None or not hasattr(array, "shape"):
        return {}
    return {"dtype": str(array.dtype), "shape": [-1, *(int(n) for n in array.shape[1:])]}


def write_input_example(directory: str, X: Any) -> str | None:
    """Write the first rows of ``X`` as ``input_example.json``; return the file name or None."""
    document = _example_document(take_head(X))
    if document is None:
        return None
    text = json.dumps(document)  # before opening the file: a TypeError leaves nothing behind
    with open_new(os.path.join(directory, INPUT_EXAMPLE_FILE_NAME), "x", encoding="utf-8") as f:
        f.write(text)
    return INPUT_EXAMPLE_FILE_NAME


def _example_document(head: Any) -> dict | None:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(head, pandas.Series):
        head = head.to_frame()
    if pandas is not None and isinstance(head, pandas.DataFrame):
        split = json.loads(head.to_json(orient="split", index=False, date_format="iso"))
        return {
            "type": "dataframe",
            "columns": split["columns"],
            "dtypes": [str(dtype) for dtype in head.dtypes],
            "data": split["data"],
        }
    if hasattr(head, "toarray"):
        head = head.toarray()
    array = _as_array(head)
    if array is None or not hasattr(array, "tolist"):
        return None
    return {"type": "ndarray", "dtype": str(array.dtype), "data": array.tolist()}


def read_input_example(path: str) -> Any:
    """Rebuild an input example written by :func:`write_input_example` (imports numpy/pandas)."""
    if os.path.islink(path):
        raise InvalidInputError(f"input example {path} is a symlink; it is never followed")
    document = read_bounded(
        path, what=f"input example {path}", max_bytes=MAX_INPUT_EXAMPLE_BYTES, opener=open_no_follow
    )
    if not isinstance(document, dict):
        raise InvalidInputError(f"input example {path} is not a JSON object")
    if document.get("type") == "dataframe":
        import pandas

        frame = pandas.DataFrame(document["data"], columns=document["columns"])
        for column, dtype in zip(frame.columns, document.get("dtypes", [])):
            try:
                frame[column] = frame[column].astype(dtype)
            except (TypeError, ValueError):
                pass  # keep what JSON gave; the values are still right
        return frame
    import numpy

    return numpy.asarray(document["data"], dtype=document.get("dtype"))
