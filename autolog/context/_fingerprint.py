"""Content digests of training data: numpy, pandas, scipy sparse, lists.

The digest is a SHA-256 tree hash: every large contiguous buffer is cut into fixed 8 MiB leaves,
the leaves are hashed in parallel threads (hashlib releases the GIL on large buffers; SHA-256 runs
at ~1.8 GB/s per core here, so 2 cores give ~3.5 GB/s), and their digests are folded in order into
one root hash together with the shapes, dtypes, column names and index. The leaf size is fixed, so
the digest does not depend on the number of threads.

numpy, pandas and scipy are never imported here: an object of their types can only exist once the
user has imported them, so they are looked up in ``sys.modules``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import threading
from array import array
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from autolog._core._constants import TAG_DATA_PREFIX
from autolog._core._process import PROCESS, StatePart

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

_LEAF_SIZE = 8 * 1024 * 1024
_INLINE_MAX_BYTES = 256 * 1024  # smaller buffers go straight into the root hash
_PARALLEL_MIN_BYTES = 4 * _LEAF_SIZE
_DIGEST_VERSION = b"autolog-fingerprint-v1"
_TAG_LIST_CAP = 6000  # characters of a JSON list tag before it is cut (store limit: 8000)


class _HashPool(StatePart):
    """The thread pool hashing large arrays, made on first use (again in a forked child)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None
        self.pid: int | None = None

    def reset(self) -> None:
        if self.pool is not None and self.pid == os.getpid():
            self.pool.shutdown(wait=True)
        _HashPool.__init__(self)


_hashing = PROCESS.part("context.hash_pool", _HashPool)


@dataclass(frozen=True)
class DatasetFingerprint:
    """What a data set was, without keeping it.

    Attributes
    ----------
    digest : str
        Hex SHA-256 tree digest of the values, dtypes, shape, column names and index (and of
        ``y`` when given). Same data, same digest.
    shape : tuple of int
        Shape of ``X``.
    num_rows : int
        Number of rows (samples) of ``X``.
    columns : list of str or None
        Column names of a DataFrame (or the name of a Series), else None.
    dtypes : list of str or None
        One dtype per column for a DataFrame, else the single dtype of the array.
    source : str or None
        Where the data came from: ``DataFrame.attrs["source"]``, a ``numpy.memmap``'s file, or
        ``name`` when it is the path of an existing file.
    name : str or None
        The name given by the caller (e.g. the variable name ``"X_train"``).
    """

    digest: str
    shape: tuple
    num_rows: int
    columns: list | None = None
    dtypes: list | None = None
    source: str | None = None
    name: str | None = None

    def to_dict(self) -> dict:
        """Return a JSON-serializable dict of every field."""
        data = asdict(self)
        data["shape"] = list(self.shape)
        return data

    def to_tags(self, prefix: str = TAG_DATA_PREFIX) -> dict[str, str]:
        """Return the fingerprint as run tags ``{prefix}.digest``, ``{prefix}.shape``, ...

        Fields that are None are left out; long column/dtype lists are cut with a marker.
        """
        tags = {
            f"{prefix}.digest": self.digest,
            f"{prefix}.shape": "x".join(str(n) for n in self.shape),
            f"{prefix}.num_rows": str(self.num_rows),
        }
        optional = {"columns": self.columns, "dtypes": self.dtypes}
        for key, values in optional.items():
            if values is not None:
                tags[f"{prefix}.{key}"] = _capped_json_list(values)
        for key in ("source", "name"):
            value = getattr(self, key)
            if value is not None:
                tags[f"{prefix}.{key}"] = value
        return tags


def fingerprint(X: Any, y: Any = None, *, name: str | None = None) -> DatasetFingerprint:
    """Describe and digest a data set.

    Parameters
    ----------
    X : array-like
        numpy array (any dtype, object arrays included), pandas DataFrame or Series, scipy
        sparse matrix or array, or a (nested) list.
    y : array-like, optional
        Targets; included in the digest only (shape, columns and dtypes describe ``X``).
    name : str, optional
        The caller's name for the data; used as ``source`` too when it is an existing file path.

    Returns
    -------
    DatasetFingerprint
    """
    hasher = _TreeHasher()
    hasher.add_text("part", "X")
    description = _add_data(hasher, X)
    if y is not None:
        hasher.add_text("part", "y")
        _add_data(hasher, y)
    return DatasetFingerprint(
        digest=hasher.hexdigest(),
        shape=description["shape"],
        num_rows=description["shape"][0] if description["shape"] else 1,
        columns=description.get("columns"),
        dtypes=description.get("dtypes"),
        source=_source_of(X, name),
        name=name,
    )


def _source_of(X: Any, name: str | None) -> str | None:
    attrs = getattr(X, "attrs", None)
    if isinstance(attrs, dict) and attrs.get("source"):
        return str(attrs["source"])
    filename = getattr(X, "filename", None)  # numpy.memmap
    if isinstance(filename, (str, os.PathLike)):
        return os.fspath(filename)
    if name and os.path.isfile(name):
        return os.path.abspath(name)
    return None


# ---------------------------------------------------------------------------------------------
# dispatch by type


def _add_data(hasher: _TreeHasher, data: Any) -> dict:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(data, pandas.DataFrame):
        return _add_dataframe(hasher, data)
    if pandas is not None and isinstance(data, (pandas.Series, pandas.Index)):
        return _add_series(hasher, data)
    sparse = _scipy_sparse()
    if sparse is not None and sparse.issparse(data):
        return _add_sparse(hasher, data)
    numpy = _numpy()
    if numpy is not None and not isinstance(data, numpy.ndarray):
        data = _as_array(numpy, data)
    if numpy is None:  # nothing array-like can exist without numpy; hash the object itself
        hasher.add_bytes("pickle", pickle.dumps(data, protocol=4))
        return {"shape": (len(data),) if hasattr(data, "__len__") else ()}
    hasher.add_text("kind", "ndarray")
    _add_array(hasher, data)
    return {"shape": tuple(int(n) for n in data.shape), "dtypes": [str(data.dtype)]}


def _numpy():
    numpy = sys.modules.get("numpy")
    if numpy is None:
        try:
            import numpy
        except ImportError:
            return None
    return numpy


def _scipy_sparse():
    if "scipy" not in sys.modules:
        return None
    return sys.modules.get("scipy.sparse")


def _as_array(numpy, data):
    try:
        return numpy.asarray(data)
    except (ValueError, TypeError):  # ragged nested lists
        values = list(data)
        result = numpy.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            result[i] = value
        return result


def _add_array(hasher: _TreeHasher, arr) -> None:
    numpy = sys.modules["numpy"]
    dtype = arr.dtype
    hasher.add_text("dtype", dtype.str if dtype.names is None else repr(dtype.descr))
    hasher.add_text("shape", repr(tuple(int(n) for n in arr.shape)))
    if dtype.hasobject:
        _add_object_values(hasher, arr.ravel(order="C").tolist())
        return
    contiguous = numpy.ascontiguousarray(arr)  # a copy only for strided or Fortran-ordered data
    hasher.add_buffer("values", memoryview(contiguous.reshape(-1).view(numpy.uint8)))


def _add_dataframe(hasher: _TreeHasher, frame) -> dict:
    hasher.add_text("kind", "DataFrame")
    hasher.add_text("columns", repr(list(frame.columns)))
    if _is_single_numpy_dtype(frame):
        _add_uniform_columns(hasher, frame)
    else:
        for position in range(frame.shape[1]):
            _add_values(hasher, frame.iloc[:, position])
    _add_index(hasher, frame.index)
    return {
        "shape": tuple(frame.shape),
        "columns": [str(column) for column in frame.columns],
        "dtypes": [str(dtype) for dtype in frame.dtypes],
    }


def _is_single_numpy_dtype(frame) -> bool:
    numpy = sys.modules["numpy"]
    dtypes = set(frame.dtypes)
    if len(dtypes) != 1:
        return False
    dtype = dtypes.pop()
    return isinstance(dtype, numpy.dtype) and not dtype.hasobject


def _add_uniform_columns(hasher: _TreeHasher, frame) -> None:
    # Same bytes as hashing column by column (see _add_values), without building a Series per
    # column: a 1000-column frame costs microseconds per column instead of ~50.
    numpy = sys.modules["numpy"]
    dtype_text = str(frame.dtypes.iloc[0])
    columns_as_rows = numpy.ascontiguousarray(frame.to_numpy().T)
    for column in columns_as_rows:
        hasher.add_text("pandas.dtype", dtype_text)
        _add_array(hasher, column)


def _add_series(hasher: _TreeHasher, series) -> dict:
    hasher.add_text("kind", type(series).__name__)
    hasher.add_text("name", repr(series.name))
    _add_values(hasher, series)
    if hasattr(series, "index"):
        _add_index(hasher, series.index)
    return {
        "shape": tuple(series.shape),
        "columns": None if series.name is None else [str(series.name)],
        "dtypes": [str(series.dtype)],
    }


def _add_index(hasher: _TreeHasher, index) -> None:
    pandas = sys.modules["pandas"]
    hasher.add_text("index.names", repr(list(index.names)))
    if isinstance(index, pandas.RangeIndex):  # no need to materialize 0..n-1
        hasher.add_text("index.range", f"{index.start}:{index.stop}:{index.step}")
    elif isinstance(index, pandas.MultiIndex):
        for level in range(index.nlevels):
            _add_values(hasher, index.get_level_values(level))
    else:
        _add_values(hasher, index)


def _add_values(hasher: _TreeHasher, values) -> None:
    """Hash the values of a pandas Series or Index (not its name or index)."""
    numpy = sys.modules["numpy"]
    pandas = sys.modules["pandas"]
    dtype = values.dtype
    hasher.add_text("pandas.dtype", str(dtype))
    if isinstance(dtype, numpy.dtype):
        _add_array(hasher, values.to_numpy())
    elif isinstance(dtype, pandas.CategoricalDtype):
        categorical = values.array
        hasher.add_text("ordered", str(bool(dtype.ordered)))
        _add_array(hasher, numpy.asarray(categorical.codes))
        _add_values(hasher, categorical.categories)
    else:  # extension dtypes (nullable ints, strings, tz-aware datetimes, ...)
        _add_array(hasher, values.to_numpy(dtype=object))


def _add_sparse(hasher: _TreeHasher, matrix) -> dict:
    original_format = matrix.format
    hasher.add_text("kind", f"sparse.{type(matrix).__name__}")
    hasher.add_text("shape", repr(tuple(int(n) for n in matrix.shape)))
    if original_format == "coo":
        parts = {"row": matrix.row, "col": matrix.col, "data": matrix.data}
    else:
        if original_format not in ("csr", "csc", "bsr"):
            matrix = matrix.tocsr()
        parts = {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr}
    for label, part in parts.items():
        hasher.add_text("part", label)
        _add_array(hasher, part)
    return {"shape": tuple(int(n) for n in matrix.shape), "dtypes": [str(matrix.dtype)]}


# ---------------------------------------------------------------------------------------------
# object values: a stable byte encoding per element (pickling whole arrays is not stable:
# pickle's memo makes two equal lists of strings serialize differently when one of them
# repeats the same string object)


def _add_object_values(hasher: _TreeHasher, values: list) -> None:
    if all(type(value) is str for value in values):
        hasher.add_text("objects", "str")
        hasher.add_bytes("lengths", array("q", map(len, values)).tobytes())
        hasher.add_bytes("text", "".join(values).encode("utf-8", "surrogatepass"))
        return
    tokens = [_token(value) for value in values]
    hasher.add_text("objects", "mixed")
    hasher.add_bytes("lengths", array("q", map(len, tokens)).tobytes())
    hasher.add_bytes("tokens", b"".join(tokens))


def _token(value: Any) -> bytes:
    if value is None:
        return b"n"
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool):
        return b"b1" if value else b"b0"
    if isinstance(value, int):
        return b"i" + int.__repr__(value).encode()
    if isinstance(value, float):  # numpy.float64 too; repr round-trips exactly
        return b"f" + float.__repr__(value).encode()
    if isinstance(value, bytes):
        return b"y" + value
    try:
        return b"p" + pickle.dumps(value, protocol=4)
    except Exception:  # a local class, a lock: its type is all we can name stably
        kind = type(value)
        return b"t" + f"{kind.__module__}.{kind.__qualname__}".encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------------------
# the tree hash


class _Buffer:
    __slots__ = ("label", "leaf_digests", "view")

    def __init__(self, label: str, view: memoryview) -> None:
        self.label = label
        self.view = view
        self.leaf_digests: list[bytes] = []


class _TreeHasher:
    """Collects framed parts; big buffers are hashed as fixed-size leaves, in parallel."""

    def __init__(self) -> None:
        self._parts: list = []

    def add_text(self, label: str, text: str) -> None:
        self.add_bytes(label, text.encode("utf-8", "surrogatepass"))

    def add_bytes(self, label: str, data: bytes) -> None:
        self.add_buffer(label, memoryview(data))

    def add_buffer(self, label: str, view: memoryview) -> None:
        if view.nbytes > _INLINE_MAX_BYTES:  # e.g. the columns of a frame: hashed in parallel
            self._parts.append(_Buffer(label, view))
        else:
            self._parts.append(_frame(label, view.nbytes))
            self._parts.append(view)

    def hexdigest(self) -> str:
        self._hash_leaves()
        root = hashlib.sha256(_DIGEST_VERSION)
        for part in self._parts:
            if isinstance(part, _Buffer):
                root.update(_frame(part.label + "#tree", part.view.nbytes))
                root.update(b"".join(part.leaf_digests))
            else:
                root.update(part)
        return root.hexdigest()

    def _hash_leaves(self) -> None:
        jobs = []
        for part in self._parts:
            if isinstance(part, _Buffer):
                for start in range(0, part.view.nbytes, _LEAF_SIZE):
                    jobs.append((part, part.view[start : start + _LEAF_SIZE]))
        if not jobs:
            return
        total = sum(leaf.nbytes for _, leaf in jobs)
        pool = _hash_pool() if total >= _PARALLEL_MIN_BYTES else None
        digests = (
            pool.map(_leaf_digest, [leaf for _, leaf in jobs])
            if pool
            else map(_leaf_digest, [leaf for _, leaf in jobs])
        )
        for (part, _), digest in zip(jobs, digests):
            part.leaf_digests.append(digest)


def _leaf_digest(leaf: memoryview) -> bytes:
    return hashlib.sha256(leaf).digest()


def _frame(label: str, size: int) -> bytes:
    return label.encode("utf-8") + b"\x00" + size.to_bytes(8, "little")


def _hash_pool() -> ThreadPoolExecutor | None:
    from concurrent.futures import ThreadPoolExecutor

    workers = min(8, os.cpu_count() or 1)
    if workers < 2:
        return None
    with _hashing.lock:
        # A forked child inherits the pool object but not its threads: make a new one.
        if _hashing.pool is None or _hashing.pid != os.getpid():
            _hashing.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="autolog-hash")
            _hashing.pid = os.getpid()
        return _hashing.pool


def _capped_json_list(values: list) -> str:
    text = json.dumps(values)
    if len(text) <= _TAG_LIST_CAP:
        return text
    kept: list = []
    size = 2
    for value in values:
        size += len(json.dumps(value)) + 2
        if size > _TAG_LIST_CAP - 40:
            break
        kept.append(value)
    return json.dumps(kept + [f"...(+{len(values) - len(kept)} more)"])
