"""Requests to a model as data: MLflow's JSON formats and CSV in, checked against the signature.

Every problem is an :class:`InvalidInputError` (HTTP 400) or :class:`PayloadTooLargeError` (413)
whose message names the field, column, row or limit at fault.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from autolog._core._exceptions import InvalidInputError

JSON_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class PayloadTooLargeError(InvalidInputError):
    """A request over the configured body-size or row limit."""


@dataclass(frozen=True)
class Limits:
    """What one request may carry.

    Attributes
    ----------
    max_body_bytes : int
        Largest request body accepted (HTTP 413 beyond it).
    max_rows : int
        Most rows one request may ask predictions for (HTTP 413 beyond it).
    """

    max_body_bytes: int = 10 * 1024 * 1024
    max_rows: int = 100_000


def parse_json(body: bytes) -> tuple[Any, str | None]:
    """``(data, method)`` from a JSON body in one of MLflow's formats (``method`` may be None)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise InvalidInputError(f"the body is not valid JSON: {_short(error)}") from None
    if not isinstance(document, dict):
        raise InvalidInputError(f"the body must be a JSON object with one of the keys {_keys_text()}")
    present = [key for key in JSON_KEYS if key in document]
    if len(present) != 1:
        found = (
            f"found {', '.join(present)}"
            if present
            else f"found {', '.join(map(repr, list(document)[:5])) or 'no key'}"
        )
        raise InvalidInputError(f"the body must have exactly one of the keys {_keys_text()}; {found}")
    key = present[0]
    method = document.get("method")
    if method is None and isinstance(document.get("params"), dict):
        method = document["params"].get("method")  # MLflow's place for inference params
    if method is not None and not isinstance(method, str):
        raise InvalidInputError(f"'method' must be a string, got {type(method).__name__}")
    return _data_of(key, document[key]), method


def parse_csv(body: bytes) -> Any:
    """A DataFrame from a CSV body with a header row."""
    import pandas

    try:
        return pandas.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError, pandas.errors.ParserError) as error:
        raise InvalidInputError(f"the body is not valid CSV with a header row: {_short(error)}") from None


def _data_of(key: str, value: Any) -> Any:
    import pandas

    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise InvalidInputError("'dataframe_split' must be an object with a 'data' list (and 'columns')")
        columns = value.get("columns")
        if columns is not None and not isinstance(columns, list):
            raise InvalidInputError("'dataframe_split.columns' must be a list of column names")
        return RowTable(columns, value["data"])
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise InvalidInputError("'dataframe_records' must be a list of objects, one per row")
        return _frame(lambda: pandas.DataFrame.from_records(value), key)
    if isinstance(value, dict):  # {"inputs": {"column": [values...]}}
        return _frame(lambda: pandas.DataFrame(value), key)
    if not isinstance(value, list):
        raise InvalidInputError(f"'{key}' must be a list of rows or an object of columns")
    if value and all(isinstance(row, dict) for row in value):
        return _frame(lambda: pandas.DataFrame.from_records(value), key)
    return _array(value, key)


class RowTable:
    """``dataframe_split`` as it came: column names and rows, made a DataFrame only when needed.

    A model that takes arrays gets the rows as one (see ``_plan``) without a DataFrame between.
    """

    __slots__ = ("columns", "rows")

    def __init__(self, columns: list | None, rows: list) -> None:
        self.columns, self.rows = columns, rows

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> Any:
        """The rows as a DataFrame; InvalidInputError when they do not form a table."""
        import pandas

        return _frame(lambda: pandas.DataFrame(self.rows, columns=self.columns), "dataframe_split")


def _frame(build, key: str) -> Any:
    try:
        return build()
    except (ValueError, TypeError) as error:
        raise InvalidInputError(f"'{key}' does not form a table: {_short(error)}") from None


def _array(rows: list, key: str) -> Any:
    import numpy

    try:
        array = numpy.asarray(rows)
    except ValueError as error:
        raise InvalidInputError(f"'{key}' rows differ in length: {_short(error)}") from None
    if array.dtype == object:
        raise InvalidInputError(f"'{key}' must be rows of equal length holding numbers or strings")
    return array


def check_rows(data: Any, limits: Limits) -> int:
    """The number of rows in ``data``; PayloadTooLargeError beyond ``limits.max_rows``."""
    rows = len(data) if getattr(data, "ndim", 2) > 0 else 1
    if rows > limits.max_rows:
        raise PayloadTooLargeError(f"{rows} rows in one request; the limit is {limits.max_rows}")
    if rows == 0:
        raise InvalidInputError("the request holds no rows")
    return rows


def _keys_text() -> str:
    return ", ".join(JSON_KEYS)


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
