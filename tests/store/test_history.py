"""The store's batched, down-sampled and incremental history reads (``HistoryMixin``), on SQLite
and PostgreSQL: what the UI's charts, live views and column chooser rely on."""

from __future__ import annotations

import math

import pytest

from autolog.entities import Metric
from autolog.exceptions import InvalidInputError, NotFoundError
from autolog.store import _history


def _log(store, run_id, key, values, start=0):
    store.log_batch(
        run_id, metrics=[Metric(key, v, 1000 + start + i, start + i) for i, v in enumerate(values)]
    )


@pytest.fixture
def runs(store):
    ids = [
        store.create_run("0", run_name=f"r{i}", params={"C": str(i % 2), "same": "x"}).info.run_id
        for i in range(3)
    ]
    for i, run_id in enumerate(ids[:2]):
        _log(store, run_id, "loss", [math.sin(s / 10) + i for s in range(1000)])
    _log(store, ids[2], "other", [1.0, 2.0])
    return ids


def test_one_call_for_many_runs_leaves_out_runs_without_the_metric(store, runs):
    samples = store.sample_metric_histories(runs, "loss", max_points=5000)
    assert [s.run_id for s in samples] == runs[:2]
    assert all(len(s.steps) == 1000 and not s.sampled and s.total == 1000 for s in samples)
    assert samples[1].values[10] == pytest.approx(math.sin(1.0) + 1)


def test_down_sampling_keeps_the_extremes_of_every_bucket(store, runs):
    _log(store, runs[0], "loss", [50.0], start=1000)  # a spike at the very end
    values = [math.sin(s / 10) for s in range(1000)] + [50.0]
    (sample,) = store.sample_metric_histories([runs[0]], "loss", max_points=100)
    assert sample.sampled and len(sample.steps) <= 100 and sample.total == 1001
    assert max(sample.values) == 50.0 and min(sample.values) == pytest.approx(min(values))
    assert sample.steps == sorted(sample.steps)
    zoomed = store.sample_metric_histories([runs[0]], "loss", max_points=100, min_step=100, max_step=149)
    assert zoomed[0].steps == list(range(100, 150)) and not zoomed[0].sampled


def test_long_series_are_served_from_an_envelope_that_follows_new_points(store, monkeypatch):
    monkeypatch.setattr(_history, "LARGE_SPAN", 500)
    monkeypatch.setattr(_history, "FINE_BUCKETS", 64)
    run_id = store.create_run("0").info.run_id
    _log(store, run_id, "loss", [float(s % 97) for s in range(3000)])
    (first,) = store.sample_metric_histories([run_id], "loss", max_points=200)
    assert first.sampled and len(first.steps) <= 200 and max(first.values) == 96.0 and first.cursor[0] == 2999
    _log(store, run_id, "loss", [-5.0] * 10, start=3000)
    (second,) = store.sample_metric_histories([run_id], "loss", max_points=200)
    assert min(second.values) == -5.0 and second.cursor[0] == 3009 and second.total == 3010
    (zoomed,) = store.sample_metric_histories([run_id], "loss", max_points=200, min_step=1000, max_step=1099)
    assert zoomed.steps == list(range(1000, 1100))


def test_points_after_a_cursor(store, runs):
    (sample,) = store.sample_metric_histories([runs[0]], "loss", max_points=5000)
    assert store.metric_histories_since(runs[0], {"loss": sample.cursor}) == {}
    _log(store, runs[0], "loss", [7.0, 8.0], start=1000)
    new = store.metric_histories_since(runs[0], {"loss": sample.cursor, "absent": None})
    assert list(new) == ["loss"] and new["loss"].steps == [1000, 1001] and new["loss"].values == [7.0, 8.0]
    assert store.metric_histories_since(runs[0], {"loss": new["loss"].cursor}) == {}
    assert len(store.metric_histories_since(runs[0], {"loss": None}, limit=10)["loss"].steps) == 10


def test_keys_prefixes_and_batched_runs(store, runs):
    keys = store.experiment_keys("0")
    assert [k for k, _, _ in keys.metrics][0] in ("loss", "other") and keys.run_count == 3
    assert keys.varying_params() == ["C"]  # "same" has one value in every run
    assert [k for k, _, _ in store.experiment_keys(["0"], contains="OTH").metrics] == ["other"]
    assert store.find_run_ids(runs[0][:12]) == [runs[0]]
    assert store.find_run_ids("zz") == [] and store.find_run_ids("") == []
    assert [r.info.run_id for r in store.get_runs(runs[::-1])] == runs[::-1]
    with pytest.raises(NotFoundError):
        store.get_runs([runs[0], "0" * 32])
    assert store.metric_step_ranges(runs[0]) == {"loss": (0, 999)}
    with pytest.raises(InvalidInputError):
        store.sample_metric_histories(runs, "loss", max_points=1)


def _stored_envelope_rows(store, run_id):
    import sqlalchemy as sa

    from autolog.store._schema import metric_envelopes

    with store._reader().connect() as connection:
        query = sa.select(sa.func.count()).where(metric_envelopes.c.run_id == run_id)
        return connection.execute(query).scalar_one()


def test_envelopes_are_stored_when_a_run_ends_and_reused_by_a_fresh_reader(sql_store, monkeypatch):
    monkeypatch.setattr(_history, "LARGE_SPAN", 500)
    monkeypatch.setattr(_history, "FINE_BUCKETS", 64)
    short, long = (sql_store.create_run("0").info.run_id for _ in range(2))
    _log(sql_store, short, "loss", [1.0, 2.0])
    _log(sql_store, long, "loss", [float(s % 97) for s in range(3000)])
    sql_store.update_run(short, status="FINISHED")
    sql_store.finish_run(long)
    assert _stored_envelope_rows(sql_store, short) == 0 and _stored_envelope_rows(sql_store, long) > 0
    sql_store.__dict__.pop("_envelopes", None)  # as a new process: nothing in memory
    _log(sql_store, long, "loss", [-5.0] * 10, start=3000)  # logged after the envelope was stored
    (sample,) = sql_store.sample_metric_histories([long], "loss", max_points=200)
    assert sample.sampled and min(sample.values) == -5.0 and max(sample.values) == 96.0
    assert sample.total == 3010 and sample.cursor[0] == 3009
    (zoomed,) = sql_store.sample_metric_histories([long], "loss", max_points=200, min_step=10, max_step=20)
    assert zoomed.values == [float(s % 97) for s in range(10, 21)]
    sql_store.delete_run(long)
    sql_store.purge_deleted_runs([long])
    assert _stored_envelope_rows(sql_store, long) == 0


def test_an_envelope_first_charted_is_stored(sql_store, monkeypatch):
    monkeypatch.setattr(_history, "LARGE_SPAN", 500)
    monkeypatch.setattr(_history, "FINE_BUCKETS", 64)
    run_id = sql_store.create_run("0").info.run_id
    _log(sql_store, run_id, "loss", [float(s) for s in range(2000)])
    assert _stored_envelope_rows(sql_store, run_id) == 0
    (sample,) = sql_store.sample_metric_histories([run_id], "loss", max_points=100)
    assert _stored_envelope_rows(sql_store, run_id) > 0 and sample.values[-1] == 1999.0


def test_compare_charts_of_ended_runs_read_their_coarse_stored_envelopes(sql_store):
    ids = [sql_store.create_run("0").info.run_id for _ in range(3)]
    for i, run_id in enumerate(ids):
        _log(
            sql_store, run_id, "loss", [math.sin(s / 7) + i + (9.0 if s == 333 else 0.0) for s in range(1000)]
        )
        sql_store.finish_run(run_id)
    assert _stored_envelope_rows(sql_store, ids[0]) > 0  # a coarse one: 1,000 steps is not "long"
    _log(sql_store, ids[2], "loss", [-4.0], start=1000)  # after its envelope: rows are read instead
    samples = sql_store.sample_metric_histories(ids, "loss", max_points=80)
    for i, sample in enumerate(samples):
        assert sample.sampled and len(sample.steps) <= 80 and sample.steps == sorted(sample.steps)
        assert max(sample.values) == pytest.approx(9.0 + math.sin(333 / 7) + i)  # the spike survives
    assert samples[0].total == 1000 and min(samples[0].values) == pytest.approx(-1.0, abs=1e-3)
    assert samples[2].total == 1001 and min(samples[2].values) == -4.0 and samples[2].cursor[0] == 1000
    # a zoom and a fine request read the metric rows (full resolution)
    (zoomed,) = sql_store.sample_metric_histories(ids[:1], "loss", max_points=80, min_step=330, max_step=336)
    assert zoomed.steps == list(range(330, 337)) and not zoomed.sampled
    (fine,) = sql_store.sample_metric_histories(ids[:1], "loss", max_points=5000)
    assert len(fine.steps) == 1000 and not fine.sampled
