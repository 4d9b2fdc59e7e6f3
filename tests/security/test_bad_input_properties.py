"""Property-based bad input (hypothesis): every input works or raises autolog's own error, naming it.

For keys, values, run names, filter strings, URIs and artifact paths: the call either succeeds or
raises an ``AutologError`` whose message names the offending input; no other exception type
escapes, nothing is written when it raises, and SQL-looking input is inert (tables intact, no
extra rows). SQLite throughout; the values that PostgreSQL treats specially (NUL, lone
surrogates) are checked there too.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autolog.entities import Metric
from autolog.exceptions import AutologError
from autolog.models import load_model
from autolog.store import open_store

EXAMPLES = 150
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
# st.text() never yields lone surrogates, so strings are joined from characters here.
ANY_TEXT = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff", "'", '"', "`", "%", "\\"])),
    max_size=300,
).map("".join)  # incl. NUL and lone surrogates
SQLISH = st.sampled_from(
    [
        "'; DROP TABLE runs; --",
        '" OR 1=1 --',
        "x') OR ('1'='1",
        "1; DELETE FROM params",
        "%' OR '%'='",
        "`; DROP TABLE metrics`",
        "a' UNION SELECT run_id, key, value FROM params --",
        "\\'; --",
        "\x00'; --",
    ]
)
KEYISH = st.one_of(
    ANY_TEXT, SQLISH, st.text("abc./ :_-", max_size=260), st.integers(), st.none(), st.binary(max_size=20)
)
VALUES = st.one_of(
    ANY_TEXT,
    SQLISH,
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary(max_size=50),
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
METRIC_VALUES = st.one_of(
    st.floats(),
    st.integers(min_value=-(2**2000), max_value=2**2000),
    st.booleans(),
    ANY_TEXT,
    st.none(),
    st.complex_numbers(allow_nan=True),
)

TABLES = ("experiments", "experiment_tags", "runs", "params", "tags", "metrics", "latest_metrics")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("props") / "store"))
    run_id = store.create_run("0", run_name="base", params={"p": "1"}, tags={"t": "1"}).info.run_id
    store.log_metric(run_id, "m", 1.0)
    store.base_run_id = run_id
    yield store
    store.close()


def _snapshot(store) -> dict:
    with store._reader().connect() as connection:
        return {
            table: sorted(map(tuple, connection.exec_driver_sql(f"SELECT * FROM {table}").all()), key=repr)
            for table in TABLES
        }


def _names_it(error: AutologError, offending: tuple) -> None:
    """The message names one of the inputs: by (a prefix of) its text or repr, or its type."""
    message = str(error)
    assert message and type(error).__module__.startswith("autolog"), message
    for item in offending:
        text = item if isinstance(item, str) else repr(item)
        if (
            text[:20] in message
            or repr(text)[1:21] in message
            or repr(item)[:20] in message
            or type(item).__name__ in message
        ):
            return
    raise AssertionError(f"{message!r} names none of {offending!r}")


def _works_or_autolog_error(call, offending, store):
    """Run ``call``: success, or an AutologError naming ``offending`` with nothing written."""
    before = _snapshot(store)
    try:
        call()
    except AutologError as error:
        _names_it(error, offending)
        assert _snapshot(store) == before, "a rejected call wrote something"
        return False
    return True


@SETTINGS
@given(key=KEYISH, value=VALUES)
def test_param_and_tag_keys_and_values(store, key, value):
    """Promise: log_param/set_tag with any key and value works or raises AutologError; nothing written on error."""
    run_id = store.create_run("0").info.run_id
    _works_or_autolog_error(lambda: store.log_param(run_id, key, value), (key, value), store)
    _works_or_autolog_error(lambda: store.set_tag(run_id, key, value), (key, value), store)
    ok = _works_or_autolog_error(
        lambda: store.log_batch(run_id, params=[("good", "1"), (key, value)]), (key, value), store
    )
    if ok:  # what was accepted reads back as text
        assert store.get_run(run_id).data.params["good"] == "1"


@SETTINGS
@given(
    key=KEYISH,
    value=METRIC_VALUES,
    step=st.one_of(st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=3)),
)
def test_metric_keys_values_and_steps(store, key, value, step):
    """Promise: log_metric with any key, value and step works (NaN/inf round-trip) or raises AutologError."""
    run_id = store.base_run_id
    if _works_or_autolog_error(
        lambda: store.log_metric(run_id, key, value, step=step), (key, value, step), store
    ):
        stored = [m.value for m in store.get_metric_history(run_id, key) if m.step == step]
        assert any(v == float(value) or (math.isnan(v) and math.isnan(float(value))) for v in stored)
    _works_or_autolog_error(
        lambda: store.log_batch(run_id, metrics=[Metric(key, value, 0, 0)]), (key, value), store
    )


@SETTINGS
@given(name=st.one_of(ANY_TEXT, SQLISH, st.integers(), st.binary(max_size=10), st.none()))
def test_run_names(store, name):
    """Promise: any run name is stored as given (or refused with AutologError) and never breaks reads."""
    holder = []
    if _works_or_autolog_error(lambda: holder.append(store.create_run("0", run_name=name)), (name,), store):
        run_id = holder[0].info.run_id
        assert (
            store.get_run(run_id).info.run_name == (None if name is None else str(name))
            or name == store.get_run(run_id).info.run_name
        )
        _works_or_autolog_error(lambda: store.update_run(run_id, run_name=name), (name,), store)


FILTER_PIECES = st.sampled_from(
    [
        "metrics.m",
        "params.p",
        "tags.t",
        "attributes.status",
        "run_name",
        "start_time",
        "`odd key`",
        '"x"',
        "=",
        "!=",
        "<",
        ">=",
        "LIKE",
        "ILIKE",
        "NOT",
        "IN",
        "(",
        ")",
        ",",
        "and",
        "or",
        "'1'",
        "'%'",
        "1",
        "-1e309",
        "'FINISHED'",
        "''''",
        "'; DROP TABLE runs; --'",
        "); DELETE FROM runs; --",
        "/*",
        "*/",
        "--",
        ";",
        "\x00",
    ]
)


@SETTINGS
@given(
    text=st.one_of(ANY_TEXT, st.lists(FILTER_PIECES, max_size=12).map(" ".join)),
    order=st.lists(st.one_of(FILTER_PIECES, ANY_TEXT), max_size=2),
)
def test_filter_and_order_strings(store, text, order):
    """Promise: any filter/order_by either searches or raises AutologError; injection attempts are inert."""
    before = _snapshot(store)
    for call in (
        lambda: store.search_runs("0", text),
        lambda: store.count_runs("0", text),
        lambda: store.search_runs("0", "", order_by=order),
    ):
        try:
            call()
        except AutologError as error:
            assert str(error)
    assert _snapshot(store) == before


@SETTINGS
@given(text=st.one_of(ANY_TEXT, SQLISH, st.integers(), st.none()), inner=ANY_TEXT)
def test_lookups_by_any_id_name_or_key(store, text, inner):
    """Promise: reads and run-id writes with any id, name, key or quoted filter value work or raise AutologError."""
    run_id = store.base_run_id
    before = _snapshot(store)
    calls = [
        lambda: store.get_run(text),
        lambda: store.get_metric_history(run_id, text),
        lambda: store.get_metric_history(text, "m"),
        lambda: store.get_experiment_by_name(text),
        lambda: store.search_experiments(name_like=text),
        lambda: store.artifacts(text),
        lambda: store.delete_tag(run_id, text),
        lambda: store.delete_run(text),
        lambda: store.heartbeat([text]),
        lambda: store.log_metric(text, "m", 1.0),
        lambda: store.log_batch(text, params=[("k", "v")]),
        lambda: store.purge_deleted_runs([text]),
        lambda: store.get_experiment(text),
        lambda: store.search_runs("0", f"params.p = '{inner.replace(chr(39), '')}'"),
        lambda: store.search_runs(
            "0", f"tags.`{inner.replace('`', '')}` LIKE '%{inner.replace(chr(39), '')}'"
        ),
        lambda: store.search_runs("0", order_by=[f"params.`{inner.replace('`', '')}` DESC"]),
    ]
    for call in calls:
        try:
            call()
        except AutologError as error:
            assert str(error)
    assert _snapshot(store) == before


URIS = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "runs:/",
            "runs://",
            "runs:/x/../../etc",
            "runs:/" + "a" * 32 + "/../../../etc/passwd",
            "file://evil.example/x",
            "s3://bucket/key",
            "http://x",
            "sqlite://",
            "postgresql://",
            "C:\\x",
            "\x00",
            "models:/",
            "models:/a@b",
            "runs:/" + "0" * 32 + "/model",
            "file:///nonexistent",
            "~nobody/x",
        ]
    ),
)


@SETTINGS
@given(uri=URIS)
def test_model_uris(store, uri, tmp_path_factory, monkeypatch_module):
    """Promise: load_model(any URI) raises AutologError (nothing to load here), never another type."""
    with pytest.raises(AutologError):
        load_model(uri)


@SETTINGS
@given(uri=st.one_of(ANY_TEXT, URIS))
def test_tracking_uris(uri, tmp_path_factory):
    """Promise: open_store(any URI) then a read works or raises AutologError; reading creates nothing."""
    cwd = os.getcwd()
    scratch = tmp_path_factory.mktemp("uris")
    os.chdir(scratch)
    try:
        try:
            store = open_store(uri)
            store.search_experiments()
        except AutologError as error:
            assert str(error)
        assert os.listdir(scratch) == []
    finally:
        os.chdir(cwd)


@SETTINGS
@given(
    path=st.one_of(
        ANY_TEXT,
        st.sampled_from(
            [
                "../x",
                "a/../../x",
                "/etc/passwd",
                "a\\..\\b",
                "%2e%2e/x",
                "a/./b",
                "a//b",
                "C:/x",
                ".",
                "",
                "a/",
                "\x00",
            ]
        ),
    )
)
def test_artifact_paths_stay_inside_the_run(store, path):
    """Promise: write_bytes(any path) writes inside the run's root or raises AutologError."""
    repository = store.artifacts(store.base_run_id)
    try:
        stored = repository.write_bytes(path, b"data")
    except AutologError as error:
        assert str(error)
        return
    real = os.path.realpath(repository.local_path(stored))
    assert real.startswith(os.path.realpath(repository.root) + os.sep)


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory):
    store_dir = tmp_path_factory.mktemp("model-uris") / "store"
    mp = pytest.MonkeyPatch()
    mp.setenv("AUTOLOG_TRACKING_URI", str(store_dir))
    yield mp
    mp.undo()


@pytest.mark.postgres
@pytest.mark.parametrize("value", ["nul \x00 inside", "lone \ud800 surrogate", "\x00"])
def test_values_postgresql_cannot_store_get_autolog_errors(fresh_postgres_uri, tmp_path, value):
    """Promise: on PostgreSQL too, a value, name, id or filter it cannot store is refused with AutologError."""
    store = open_store(fresh_postgres_uri, artifact_root=str(tmp_path))
    run_id = store.create_run("0").info.run_id
    for call in (
        lambda: store.log_param(run_id, "k", value),
        lambda: store.set_tag(run_id, "k", value),
        lambda: store.create_run("0", run_name=value),
        lambda: store.update_run(run_id, run_name=value),
        lambda: store.get_run(value),
        lambda: store.get_metric_history(run_id, value),
        lambda: store.get_experiment_by_name(value),
        lambda: store.search_experiments(name_like=value),
        lambda: store.search_runs("0", f"params.k = '{value}'"),
        lambda: store.log_metric(value, "m", 1.0),
        lambda: store.delete_run(value),
        lambda: store.heartbeat([value, run_id]),
    ):
        try:
            call()
        except AutologError:
            pass
    assert store.count_runs("0") in (1, 2)
    store.close()
