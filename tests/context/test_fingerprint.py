"""Data fingerprints: same data, same digest; any difference, another digest; fast."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autolog.context import DatasetFingerprint, _fingerprint, fingerprint


def digest(X, y=None) -> str:
    return fingerprint(X, y).digest


# -- numpy ------------------------------------------------------------------------------------


def test_same_array_same_digest_and_description():
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    fp = fingerprint(a)
    assert fp.digest == fingerprint(a.copy()).digest
    assert len(fp.digest) == 64
    assert fp.shape == (3, 4) and fp.num_rows == 3
    assert fp.dtypes == ["float64"] and fp.columns is None and fp.source is None


def test_single_value_change():
    a = np.zeros((100, 10))
    b = a.copy()
    b[57, 3] = 1e-300
    assert digest(a) != digest(b)


def test_dtype_and_shape_changes():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert digest(a) != digest(a.reshape(3, 2))
    assert digest(a) != digest(a.astype(np.int32))
    assert digest(a) != digest(a.astype(np.float64))
    assert digest(a.view(np.float64)) != digest(a)  # same bytes, other dtype


def test_memory_layout_does_not_matter():
    a = np.random.default_rng(0).random((50, 7))
    assert digest(a) == digest(np.asfortranarray(a))
    strided = np.random.default_rng(1).random((40, 20))[::2, ::3]
    assert not strided.flags.c_contiguous
    assert digest(strided) == digest(strided.copy())


def test_zero_dim_empty_and_datetime_arrays():
    assert digest(np.array(3.0)) != digest(np.array([3.0]))
    assert digest(np.empty((0, 3))) != digest(np.empty((3, 0)))
    dates = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]")
    assert digest(dates) == digest(dates.copy())
    assert digest(dates) != digest(dates.astype("datetime64[s]"))


def test_object_arrays_hash_by_value_not_identity():
    shared = "spam" * 10
    same_object = np.array([shared, shared], dtype=object)
    equal_objects = np.array([shared, "".join(["spam"] * 10)], dtype=object)
    assert equal_objects[0] is not equal_objects[1]
    assert digest(same_object) == digest(equal_objects)


def test_object_arrays_distinguish_types_and_boundaries():
    assert digest(np.array(["ab", "c"], dtype=object)) != digest(np.array(["a", "bc"], dtype=object))
    assert digest(np.array([None], dtype=object)) != digest(np.array(["None"], dtype=object))
    assert digest(np.array([1, "1"], dtype=object)) != digest(np.array(["1", 1], dtype=object))
    assert digest(np.array([1.0, 2], dtype=object)) != digest(np.array([1, 2.0], dtype=object))
    mixed = np.array([1, "a", None, 2.5, (1, 2), b"x"], dtype=object)
    assert digest(mixed) == digest(mixed.copy())


def test_unpicklable_objects_hash_by_type():
    # scikit-learn's test_function_param_validation passes a test-local BadType instance as X.
    import threading

    class Local:
        pass

    assert digest(np.array([Local()], dtype=object)) == digest(np.array([Local()], dtype=object))
    assert digest(np.array([Local()], dtype=object)) != digest(np.array([threading.Lock()], dtype=object))
    assert digest(np.array([Local(), 1], dtype=object)) != digest(np.array([Local(), 2], dtype=object))


def test_lists_and_ragged_lists():
    assert digest([[1, 2], [3, 4]]) == digest(np.array([[1, 2], [3, 4]]))
    ragged = [[1, 2], [3]]
    assert digest(ragged) == digest([[1, 2], [3]])
    assert digest(ragged) != digest([[1, 2], [4]])
    assert fingerprint(["a", "b", "c"]).shape == (3,)


def test_target_is_part_of_the_digest():
    X = np.ones((4, 2))
    assert digest(X, np.array([0, 1, 0, 1])) != digest(X, np.array([0, 1, 1, 1]))
    assert digest(X, np.array([0, 1, 0, 1])) != digest(X)
    assert fingerprint(X, np.array([0, 1, 0, 1])).shape == (4, 2)


def test_multi_leaf_and_parallel_buffers_are_deterministic():
    # 40 MB: several 8 MiB leaves, hashed in the thread pool
    big = np.random.default_rng(2).random(5_000_000)
    first = digest(big)
    assert digest(big) == first
    changed = big.copy()
    changed[-1] += 1.0  # in the last leaf
    assert digest(changed) != first
    changed = big.copy()
    changed[0] += 1.0
    assert digest(changed) != first


@settings(max_examples=60, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.sampled_from([np.float64, np.int32, np.uint8, np.bool_, np.complex64]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    ),
    data=st.data(),
)
def test_any_single_element_change_changes_the_digest(array, data):
    index = data.draw(st.tuples(*(st.integers(0, n - 1) for n in array.shape)))
    changed = array.copy()
    if array.dtype == np.bool_:
        changed[index] = not changed[index]
    else:
        new_value = data.draw(hnp.from_dtype(array.dtype, allow_nan=False))
        if new_value == array[index] or (np.isnan(array[index]) if array.dtype.kind in "fc" else False):
            new_value = array.dtype.type(1) if array[index] != 1 else array.dtype.type(2)
        changed[index] = new_value
    if changed.tobytes() == array.tobytes():
        return  # e.g. -0.0 vs 0.0 written as the same value by the strategy
    assert digest(changed) != digest(array)
    assert digest(array.copy()) == digest(array)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.text(max_size=5), st.integers(), st.none(), st.floats(allow_nan=False)),
        min_size=1,
        max_size=8,
    ),
    data=st.data(),
)
def test_object_array_single_change(values, data):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    position = data.draw(st.integers(0, len(values) - 1))
    replacement = data.draw(st.one_of(st.text(max_size=5), st.integers(), st.none()))
    old = values[position]
    if type(replacement) is type(old) and replacement == old:
        return
    changed = array.copy()
    changed[position] = replacement
    assert digest(changed) != digest(array)


# -- pandas -----------------------------------------------------------------------------------


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "age": [31, 42, 57, 23],
            "income": [1.5, 2.5, np.nan, 4.0],
            "city": ["Oslo", "Lima", None, "Pune"],
            "kind": pd.Categorical(["a", "b", "a", "c"]),
            "flag": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )


def test_dataframe_description(frame):
    fp = fingerprint(frame, name="X_train")
    assert fp.shape == (4, 5) and fp.num_rows == 4
    assert fp.columns == ["age", "income", "city", "kind", "flag"]
    assert fp.dtypes == [str(dtype) for dtype in frame.dtypes]
    assert fp.name == "X_train" and fp.source is None


def test_dataframe_same_data_same_digest(frame):
    assert digest(frame) == digest(frame.copy(deep=True))
    rebuilt = pd.DataFrame({column: frame[column].tolist() for column in frame.columns})
    rebuilt = rebuilt.astype(frame.dtypes.to_dict())
    assert digest(rebuilt) == digest(frame)


def test_dataframe_differences(frame):
    base = digest(frame)
    renamed = frame.rename(columns={"age": "years"})
    assert digest(renamed) != base
    retyped = frame.astype({"age": "float64"})
    assert digest(retyped) != base
    edited = frame.copy()
    edited.loc[2, "city"] = "Rome"
    assert digest(edited) != base
    edited = frame.copy()
    edited.loc[0, "kind"] = "b"
    assert digest(edited) != base
    reindexed = frame.set_axis([10, 11, 12, 13])
    assert digest(reindexed) != base
    reordered = frame[["income", "age", "city", "kind", "flag"]]
    assert digest(reordered) != base
    assert digest(frame.iloc[:3]) != base


def test_nullable_and_missing_values(frame):
    filled = frame.copy()
    filled["flag"] = filled["flag"].fillna(0)
    assert digest(filled) != digest(frame)
    assert digest(pd.DataFrame({"a": [None, "x"]})) != digest(pd.DataFrame({"a": ["None", "x"]}))


def test_series_and_multiindex():
    s = pd.Series([1.0, 2.0, 3.0], name="target")
    fp = fingerprint(s)
    assert fp.columns == ["target"] and fp.shape == (3,)
    assert digest(s) != digest(s.rename("other"))
    multi = pd.DataFrame(
        {"v": [1, 2, 3, 4]},
        index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1), ("b", 2)]),
    )
    swapped = multi.copy()
    swapped.index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 2), ("b", 1)])
    assert digest(multi) == digest(multi.copy())
    assert digest(multi) != digest(swapped)


def test_dataframe_and_its_array_differ(frame):
    numeric = frame[["age", "income"]]
    assert digest(numeric) != digest(numeric.to_numpy())


def test_source_from_attrs_memmap_and_path(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    frame.attrs["source"] = "s3://bucket/train.csv"
    assert fingerprint(frame).source == "s3://bucket/train.csv"
    path = tmp_path / "data.bin"
    mapped = np.memmap(path, dtype=np.float32, mode="w+", shape=(4, 2))
    assert fingerprint(mapped).source == str(path)
    csv = tmp_path / "train.csv"
    csv.write_text("a\n1\n")
    assert fingerprint(pd.read_csv(csv), name=str(csv)).source == str(csv)


# -- scipy sparse ----------------------------------------------------------------------------


def test_sparse_matrices():
    dense = np.zeros((6, 5))
    dense[1, 2] = 3.0
    dense[4, 0] = -1.0
    csr = sp.csr_matrix(dense)
    fp = fingerprint(csr)
    assert fp.shape == (6, 5) and fp.dtypes == ["float64"]
    assert fp.digest == digest(sp.csr_matrix(dense))
    changed = csr.copy()
    changed.data[0] = 4.0
    assert digest(changed) != fp.digest
    assert digest(csr.tocsc()) != fp.digest
    assert digest(sp.csr_matrix(dense.T)) != fp.digest
    assert digest(csr.tocoo()) == digest(sp.coo_matrix(dense))
    assert digest(sp.lil_matrix(dense)) == digest(sp.lil_matrix(dense))
    assert digest(sp.csr_array(dense)) != digest(np.asarray(dense))


# -- output -----------------------------------------------------------------------------------


def test_to_dict_and_tags():
    fp = fingerprint(pd.DataFrame({"a": [1], "b": [2.0]}), name="X_test")
    assert isinstance(fp, DatasetFingerprint)
    as_dict = fp.to_dict()
    assert as_dict["shape"] == [1, 2] and as_dict["columns"] == ["a", "b"]
    tags = fp.to_tags("autolog.data.X_test")
    assert tags["autolog.data.X_test.digest"] == fp.digest
    assert tags["autolog.data.X_test.shape"] == "1x2"
    assert tags["autolog.data.X_test.columns"] == '["a", "b"]'
    assert "autolog.data.X_test.source" not in tags
    with pytest.raises(Exception):
        fp.digest = "x"  # frozen


def test_wide_frame_tags_are_capped():
    wide = pd.DataFrame(np.zeros((1, 3000)), columns=[f"feature_{i}" for i in range(3000)])
    tags = fingerprint(wide).to_tags()
    assert len(tags["autolog.data.columns"]) <= 6000
    assert "more)" in tags["autolog.data.columns"]


def test_throughput_is_reported(capsys):
    """Prints the digest throughput; not asserted (timing depends on the machine)."""
    data = np.random.default_rng(3).random(256 * 1024 * 1024 // 8)
    fingerprint(data)  # warm the thread pool
    start = time.perf_counter()
    fingerprint(data)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(
            f"\nfingerprint throughput: {data.nbytes / elapsed / 1e9:.2f} GB/s "
            f"(256 MB float64, leaves of {_fingerprint._LEAF_SIZE >> 20} MiB)"
        )


def test_uniform_dtype_shortcut_hashes_like_the_column_walk():
    frame = pd.DataFrame(np.random.default_rng(4).random((30, 6)), columns=list("abcdef"))
    shortcut = _fingerprint._TreeHasher()
    _fingerprint._add_uniform_columns(shortcut, frame)
    column_walk = _fingerprint._TreeHasher()
    for position in range(frame.shape[1]):
        _fingerprint._add_values(column_walk, frame.iloc[:, position])
    assert shortcut.hexdigest() == column_walk.hexdigest()


def test_frames_built_differently_hash_alike():
    values = np.random.default_rng(5).random((20, 4))
    consolidated = pd.DataFrame(values, columns=list("wxyz"))
    column_by_column = pd.DataFrame({name: values[:, i].copy() for i, name in enumerate("wxyz")})
    assert digest(consolidated) == digest(column_by_column)
    with_int = consolidated.assign(z=np.arange(20))
    assert digest(with_int) != digest(consolidated)
