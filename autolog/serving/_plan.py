"""How requests become a model's input, worked out once when the model is loaded.

The general path (:func:`autolog.serving._conform.conform`) builds a DataFrame, matches its
columns by name to the signature and casts each one. A scikit-learn model then spends most of a
small request validating that DataFrame and turning it into an array. When the signature's
columns are all floats of one dtype and the model provably treats an array in signature order as
it treats the DataFrame, the plan hands the model that array directly:

- ``dataframe_split`` rows become one array without a DataFrame between; their column names are
  still matched to the signature by name (any order), and only ints and floats pass (booleans,
  text, nulls and ragged rows go the general way, which names the problem);
- ``inputs``/``instances`` rows already are an array: checked for width and a numeric dtype;
- any DataFrame (CSV, ``dataframe_records``, batch chunks) is conformed the general way, then
  given to the model as its array.

"Provably" means: the scikit-learn flavor; every estimator inside the model (pipeline steps,
fitted sub-estimators) is one of scikit-learn's own and none selects or transforms columns by
name (``ColumnTransformer``, ``FunctionTransformer``); the model was fitted on exactly the
signature's column names in that order (or on no names); and a probe row predicts the same both
ways. scikit-learn warns on every call when a model fitted on named columns gets an array, so
that case also needs the caller to own the process (the ``serve``/``predict`` commands): the
plan then silences that one warning process-wide, the names having been checked by the plan.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

from autolog.serving._conform import conform
from autolog.serving._inputs import RowTable

INLINE_ROWS = 16
INLINE_BELOW_S = 0.001
_NAME_AWARE = frozenset({"ColumnTransformer", "FunctionTransformer"})
_NAMES_WARNING = r"X does not have valid feature names, but \w+ was fitted with feature names"
_NUMBER_TYPES = (float, int)


@dataclass(frozen=True)
class InputPlan:
    """How one model takes its input.

    Attributes
    ----------
    signature : dict or None
        The model's recorded signature.
    names : tuple of str
        The signature's column names in order (empty without a tabular signature).
    array_dtype : str or None
        Set when the model takes a 2-D array of this dtype with columns in ``names`` order.
    inline_rows : int
        Requests up to this many rows may be predicted on the server's event loop rather than in
        a worker thread: set for array-taking models whose one-row prediction took under
        ``INLINE_BELOW_S`` at load (a thread hand-off costs more than such a prediction).
    """

    signature: dict | None
    names: tuple = ()
    array_dtype: str | None = None
    inline_rows: int = 0

    def conform(self, data: Any) -> Any:
        """``data`` (RowTable, DataFrame or ndarray) as the model takes it."""
        if self.array_dtype is not None:
            array = self._direct_array(data)
            if array is not None:
                return array
        if isinstance(data, RowTable):
            data = data.frame()
        conformed = conform(data, self.signature)
        if self.array_dtype is not None and hasattr(conformed, "to_numpy"):
            return conformed.to_numpy(dtype=self.array_dtype)  # columns already in order, cast
        return conformed

    def _direct_array(self, data: Any) -> Any:
        import numpy

        dtype = str(self.array_dtype)
        if isinstance(data, RowTable):
            return _rows_array(data, self.names, dtype)
        if isinstance(data, numpy.ndarray) and data.ndim == 2 and data.shape[1] == len(self.names):
            if data.dtype.kind in "fiu":  # the general path casts these the same way; it refuses bools
                return data.astype(dtype, copy=False)
        return None


def plan_inputs(
    model: Any, flavor_name: str, signature: dict | None, *, method: str, owns_process: bool
) -> InputPlan:
    """The plan for ``model`` (probed with its ``method``); arrays only where they change nothing."""
    inputs = (signature or {}).get("inputs")
    if not (isinstance(inputs, list) and inputs and all(column.get("name") for column in inputs)):
        return InputPlan(signature)
    names = tuple(str(column["name"]) for column in inputs)
    dtype = _common_float_dtype(inputs)
    if dtype is None or flavor_name != "sklearn" or not _only_array_estimators(model):
        return InputPlan(signature, names)
    fitted_names = getattr(model, "feature_names_in_", None)
    if fitted_names is not None and ([str(name) for name in fitted_names] != list(names) or not owns_process):
        return InputPlan(signature, names)
    seconds = _seconds_if_same_both_ways(getattr(model, method), names, dtype)
    if seconds is None:
        return InputPlan(signature, names)
    if fitted_names is not None:
        warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
    return InputPlan(signature, names, dtype, INLINE_ROWS if seconds < INLINE_BELOW_S else 0)


def _rows_array(table: RowTable, names: tuple, dtype: str) -> Any:
    """The rows as an array in ``names`` order, or None to leave them to the general path."""
    import numpy

    columns, rows = table.columns, table.rows
    order = None
    if columns is not None and columns != list(names):
        if len(columns) != len(names) or set(columns) != set(names):
            return None  # missing, unknown or repeated names: the general path says which
        order = [columns.index(name) for name in names]
    width = len(names)
    for row in rows:
        if type(row) is not list or len(row) != width:
            return None
        for value in row:
            if type(value) not in _NUMBER_TYPES:  # exact types: bool is a subclass of int
                return None
    try:
        array = numpy.array(rows, dtype=dtype)
    except (OverflowError, ValueError):
        return None
    if array.ndim != 2:
        return None  # no rows
    return array if order is None else array[:, order]


def _common_float_dtype(inputs: list) -> str | None:
    import numpy

    dtypes = {column.get("dtype") for column in inputs}
    if len(dtypes) != 1:
        return None
    (dtype,) = dtypes
    try:
        return dtype if numpy.dtype(dtype).kind == "f" else None
    except TypeError:
        return None


def _only_array_estimators(model: Any) -> bool:
    """True when every estimator in ``model`` is scikit-learn's own and none works on column names."""
    try:
        from sklearn.base import BaseEstimator
    except ImportError:
        return False
    if not isinstance(model, BaseEstimator):
        return False
    for estimator in _estimators_in(model, BaseEstimator):
        cls = type(estimator)
        if not cls.__module__.startswith("sklearn.") or cls.__name__ in _NAME_AWARE:
            return False
    return True


def _estimators_in(root: Any, base: type) -> list:
    """``root`` and every estimator reachable through its attributes, lists, tuples and dicts."""
    found, seen, stack = [], set(), [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, base):
            found.append(item)
            stack.extend(vars(item).values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _seconds_if_same_both_ways(predict: Any, names: tuple, dtype: str) -> float | None:
    """Seconds a probe row takes as an array, if it predicts the same as a DataFrame (else None)."""
    import numpy
    import pandas

    array = numpy.ones((1, len(names)), dtype=dtype)
    try:
        with warnings.catch_warnings():  # load time, before any request thread exists
            warnings.simplefilter("ignore")
            as_frame = predict(pandas.DataFrame(array, columns=list(names)))
            as_array = predict(array)
            seconds = min(_timed(predict, array) for _ in range(3))
    except Exception:  # a model that cannot predict the probe row keeps the general path
        return None
    return seconds if numpy.array_equal(numpy.asarray(as_frame), numpy.asarray(as_array)) else None


def _timed(predict: Any, array: Any) -> float:
    started = time.perf_counter()
    predict(array)
    return time.perf_counter() - started
