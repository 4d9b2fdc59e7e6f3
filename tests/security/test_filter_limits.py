"""Finding 4: the filter parser is linear and bounded; too many terms are a 400, not a 500.

Also (issue #13 A3, the same parser): ``attributes.parent_run_id`` in the grammar,
``tags.mlflow.parentRunId`` as its MLflow-compatible alias, and ``parent_run_id`` in the
``search_runs`` DataFrame.
"""

from __future__ import annotations

import time

import pytest

import autolog
from autolog.exceptions import InvalidInputError
from autolog.store._search import MAX_FILTER_LENGTH, MAX_FILTER_TERMS, MAX_ORDER_BY_TERMS, parse_filter


def test_a_long_digit_run_is_tokenized_in_linear_time():
    """The attack: "metrics.a > 111...1a" took seconds (quadratic regex backtracking).

    Not a speed benchmark: the old tokenizer needed about 2.5 s of CPU for this input (and 18 s at
    15,000 characters), the linear one well under a millisecond; the bound is generous for that.
    """
    text = "metrics.a > " + "1" * (MAX_FILTER_LENGTH - 100) + "a"
    started = time.process_time()
    with pytest.raises(InvalidInputError, match="column 13: expected a valid token"):
        parse_filter(text)
    assert time.process_time() - started < 0.5


def test_too_long_filters_and_too_many_terms_are_invalid_input():
    with pytest.raises(InvalidInputError, match=f"the limit is {MAX_FILTER_LENGTH}"):
        parse_filter("metrics.a > " + "1" * 15_000 + "a")
    many = " and ".join(f"metrics.m{i} > 0" for i in range(70))
    with pytest.raises(InvalidInputError, match=f"more than {MAX_FILTER_TERMS} comparisons"):
        parse_filter(many)


def test_the_most_terms_allowed_still_run_and_one_more_is_refused(store):
    run = store.create_run("0")
    from autolog.entities import Metric

    store.log_batch(run.info.run_id, metrics=[Metric(f"m{i}", 1.0, 1, 0) for i in range(MAX_FILTER_TERMS)])
    most = " and ".join(f"metrics.m{i} > 0" for i in range(MAX_FILTER_TERMS))
    order_by = [f"params.p{i}" for i in range(MAX_ORDER_BY_TERMS)]
    assert [r.info.run_id for r in store.search_runs(["0"], most, order_by=order_by)] == [run.info.run_id]
    assert store.count_runs(["0"], most) == 1
    with pytest.raises(InvalidInputError, match="more than"):
        store.search_runs(["0"], most + " and metrics.x > 0")
    with pytest.raises(InvalidInputError, match=f"order_by has {MAX_ORDER_BY_TERMS + 1} terms"):
        store.search_runs(["0"], "", order_by=order_by + ["params.x"])
    many = " and ".join(f"metrics.m{i} > 0" for i in range(70))
    with pytest.raises(InvalidInputError):
        store.count_runs(["0"], many)


def test_the_ui_shows_the_limit_and_the_api_answers_400(tmp_path):
    from starlette.testclient import TestClient

    from autolog import Client
    from autolog.ui import create_app

    client = Client(str(tmp_path / "store"))
    experiment_id = client.create_experiment("e")
    client.create_run(experiment_id)
    many = " and ".join(f"metrics.m{i} > 0" for i in range(70))
    huge = "metrics.a > " + "1" * 15_000 + "a"
    with TestClient(
        create_app(client.tracking_uri, csrf_token="t"), base_url="http://127.0.0.1:5000"
    ) as http:
        for text in (many, huge):
            page = http.get(f"/experiments/{experiment_id}", params={"q": text})  # the error on the page
            assert page.status_code == 200 and "the limit is" in page.text
            api = http.get(f"/api/experiments/{experiment_id}/runs", params={"filter": text})
            assert api.status_code == 400 and "limit" in api.json()["error"]


def test_parent_run_id_in_the_grammar_and_the_mlflow_tag_alias(store):
    parent = store.create_run("0").info.run_id
    children = {store.create_run("0", parent_run_id=parent).info.run_id for _ in range(2)}
    store.create_run("0")
    for text in (
        f"attributes.parent_run_id = '{parent}'",
        f"parent_run_id = '{parent}'",
        f"tags.mlflow.parentRunId = '{parent}'",
        f"tags.`mlflow.parentRunId` = '{parent}'",
        f"attributes.parent_run_id IN ('{parent}', 'x')",
    ):
        assert {r.info.run_id for r in store.search_runs(["0"], text)} == children, text
        assert store.count_runs(["0"], text) == 2
    assert store.search_runs(["0"], "attributes.parent_run_id LIKE 'zz%'") == []


def test_search_runs_frame_has_a_parent_run_id_column_and_the_ui_filters_on_it(tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "store"))
    with autolog.start_run() as parent, autolog.start_run(nested=True) as child:
        pass
    frame = autolog.search_runs(experiment_ids=["0"])
    by_id = dict(zip(frame["run_id"], frame["parent_run_id"]))
    import pandas as pd

    assert by_id[child.info.run_id] == parent.info.run_id and pd.isna(by_id[parent.info.run_id])
    with TestClient(
        create_app(str(tmp_path / "store"), csrf_token="t"), base_url="http://127.0.0.1:5000"
    ) as http:
        page = http.get("/experiments/0", params={"q": f"tags.mlflow.parentRunId = '{parent.info.run_id}'"})
        assert page.status_code == 200 and child.info.run_id in page.text
        assert "child of" in page.text  # the parent is not among the results
        api = http.get(
            "/api/experiments/0/runs", params={"filter": f"attributes.parent_run_id = '{parent.info.run_id}'"}
        )
        assert [r["info"]["run_id"] for r in api.json()["runs"]] == [child.info.run_id]
