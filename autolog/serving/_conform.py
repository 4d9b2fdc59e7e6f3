"""Make request data match the model's recorded signature, or say precisely why it cannot.

Tabular signatures (named columns) select and order the columns and cast each to its recorded
dtype when the cast loses nothing (int -> float, integral floats -> int, numeric strings ->
numbers); array signatures check the row shape. A model without a signature takes the data as it
came.
"""

from __future__ import annotations

from typing import Any

from autolog._core._exceptions import InvalidInputError


def conform(data: Any, signature: dict | None) -> Any:
    """``data`` (a DataFrame or an ndarray) shaped the way the signature says the model takes it."""
    inputs = (signature or {}).get("inputs")
    if isinstance(inputs, list) and inputs and all(column.get("name") for column in inputs):
        return _conform_columns(data, inputs)
    if isinstance(inputs, dict) and inputs.get("shape"):
        return _conform_array(data, inputs)
    return data


def _conform_columns(data: Any, inputs: list) -> Any:
    import pandas

    names = [str(column["name"]) for column in inputs]
    if not isinstance(data, pandas.DataFrame):
        data = _positional_frame(data, names)
    given = [str(column) for column in data.columns]
    if given != names:
        _check_names(given, names)
        data.columns = given
        data = data[names]
    for column in inputs:
        name, dtype = str(column["name"]), column.get("dtype")
        if dtype and str(data[name].dtype) != dtype:
            data = data.assign(**{name: _cast(data[name], name, dtype)})
    return data


def _check_names(given: list, names: list) -> None:
    missing = [name for name in names if name not in given]
    if missing:
        raise InvalidInputError(f"missing column(s) {_listed(missing)}; the model takes {_listed(names)}")
    unknown = [name for name in given if name not in names]
    if unknown:
        raise InvalidInputError(f"unknown column(s) {_listed(unknown)}; the model takes {_listed(names)}")


def _positional_frame(array: Any, names: list) -> Any:
    import pandas

    if getattr(array, "ndim", 0) != 2 or array.shape[1] != len(names):
        width = array.shape[1] if getattr(array, "ndim", 0) == 2 else "a single value"
        raise InvalidInputError(
            f"rows without column names must hold {len(names)} values ({_listed(names)}), got {width}"
        )
    return pandas.DataFrame(array, columns=names)


def _cast(series: Any, name: str, dtype: str) -> Any:
    import numpy

    try:
        kind = numpy.dtype(dtype).kind
    except TypeError:  # category, string[python], ...: no safe cast to check
        return series
    if kind in "fc":
        return _numeric(series, name, dtype).astype(dtype)
    if kind in "iu":
        return _integral(series, name, dtype)
    if kind == "b":
        return _boolean(series, name)
    return series


def _numeric(series: Any, name: str, dtype: str) -> Any:
    import pandas

    if series.dtype.kind == "b":
        raise InvalidInputError(f"column {name!r} expects {dtype}, got booleans")
    try:
        return pandas.to_numeric(series, errors="raise")
    except (ValueError, TypeError):
        row = _first_row(series, lambda value: _is_number_text(value))
        raise InvalidInputError(
            f"column {name!r} expects {dtype}: row {row} holds {series.iloc[row]!r}, not a number"
        ) from None


def _integral(series: Any, name: str, dtype: str) -> Any:
    numbers = _numeric(series, name, dtype)
    if numbers.dtype.kind in "iu":
        return numbers.astype(dtype)
    whole = numbers.notna() & (numbers == numbers.round())
    if not whole.all():
        row = int((~whole).to_numpy().argmax())
        raise InvalidInputError(
            f"column {name!r} expects {dtype}: row {row} holds {series.iloc[row]!r}, not an integer"
        )
    return numbers.astype(dtype)


def _boolean(series: Any, name: str) -> Any:
    if series.dtype.kind == "b":
        return series
    row = _first_row(series, lambda value: isinstance(value, bool))
    raise InvalidInputError(f"column {name!r} expects bool: row {row} holds {series.iloc[row]!r}")


def _conform_array(data: Any, inputs: dict) -> Any:
    import numpy

    array = data.to_numpy() if hasattr(data, "to_numpy") else numpy.asarray(data)
    expected = list(inputs["shape"])[1:]
    if array.ndim == 1 and len(expected) == 1:
        array = array.reshape(1, -1)  # one row sent flat
    got = list(array.shape[1:])
    if len(got) != len(expected) or any(e not in (-1, g) for e, g in zip(expected, got)):
        raise InvalidInputError(f"each row must have shape {expected}, got {got}")
    dtype = inputs.get("dtype")
    if dtype and numpy.dtype(dtype).kind in "fciu":
        if array.dtype.kind not in "fciub":
            raise InvalidInputError(
                f"the model takes numbers ({dtype}); the request holds {array.dtype} values"
            )
        if (
            numpy.dtype(dtype).kind in "iu"
            and array.dtype.kind == "f"
            and not numpy.all(array == numpy.round(array))
        ):
            raise InvalidInputError(f"the model takes integers ({dtype}); the request holds fractions")
        array = array.astype(dtype)
    return array


def _first_row(series: Any, is_fine) -> int:
    for row, value in enumerate(series.tolist()):
        if not is_fine(value):
            return row
    return 0


def _is_number_text(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _listed(names: list) -> str:
    shown = ", ".join(repr(name) for name in names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")
