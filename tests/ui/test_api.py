"""The JSON API behind the pages, against a real SQLite directory store."""

from __future__ import annotations


def test_endpoints_are_listed(http):
    listed = http.get("/api/endpoints").json()
    paths = {e["path"].split("?")[0] for e in listed}
    assert "/api/experiments" in paths and "/api/diff" in paths
    assert "/api/runs/{run_id}/metrics/history" in paths
    page = http.get("/api")
    assert page.status_code == 200 and "/api/experiments" in page.text


def test_experiments_with_counts_and_name_search(http, populated):
    body = http.get("/api/experiments").json()
    by_name = {e["name"]: e for e in body["experiments"]}
    assert by_name["iris"]["run_count"] == 9  # parent, 6 runs, xss run, model run
    assert by_name["iris"]["last_activity"] is not None
    assert by_name["digits"]["run_count"] == 0
    only = http.get("/api/experiments", params={"q": "dig"}).json()["experiments"]
    assert [e["name"] for e in only] == ["digits"]


def test_runs_page_filter_order_and_paging(http, populated):
    url = f"/api/experiments/{populated.experiment_id}/runs"
    first = http.get(
        url, params={"filter": "params.penalty = 'l1'", "order_by": "metrics.accuracy DESC", "max_results": 2}
    ).json()
    assert first["total"] == 3
    assert [r["data"]["params"]["penalty"] for r in first["runs"]] == ["l1", "l1"]
    accuracies = [r["data"]["metrics"]["accuracy"] for r in first["runs"]]
    assert accuracies == sorted(accuracies, reverse=True)
    second = http.get(
        url,
        params={
            "filter": "params.penalty = 'l1'",
            "order_by": "metrics.accuracy DESC",
            "max_results": 2,
            "page_token": first["next_page_token"],
        },
    ).json()
    assert len(second["runs"]) == 1 and second["next_page_token"] is None


def test_bad_filter_is_a_400_with_the_position(http, populated):
    response = http.get(
        f"/api/experiments/{populated.experiment_id}/runs", params={"filter": "metrics.acc >> 1"}
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_run_and_metric_history(http, populated):
    run_id = populated.run_ids[0]
    run = http.get(f"/api/runs/{run_id}").json()
    assert run["info"]["run_id"] == run_id and run["data"]["params"]["C"] == "0.1"
    history = http.get(f"/api/runs/{run_id}/metrics/history", params={"key": "loss"}).json()["history"]
    assert [p["step"] for p in history] == list(range(20))
    assert history[0]["value"] == 1.0


def test_non_finite_metrics_are_strings(http, populated):
    run = http.get(f"/api/runs/{populated.xss_run_id}").json()
    assert run["data"]["metrics"]["accuracy"] == "NaN"


def test_artifact_listing_and_models(http, populated):
    files = http.get(f"/api/runs/{populated.run_ids[0]}/artifacts").json()["files"]
    assert {f["path"] for f in files} == {"notes", "tables", "config.json"}
    nested = http.get(f"/api/runs/{populated.run_ids[0]}/artifacts", params={"path": "tables"}).json()
    assert nested["files"] == [{"path": "tables/table.csv", "is_dir": False, "file_size": 12}]
    models = http.get(f"/api/runs/{populated.model_run_id}/models").json()["models"]
    assert models[0]["path"] == "model"
    assert models[0]["metadata"]["flavor"] == "sklearn" and len(models[0]["metadata"]["sha256"]) == 64
    assert models[0]["load"] == f'autolog.load_model("runs:/{populated.model_run_id}/model")'


def test_diff_endpoint(http, populated):
    a, b = populated.run_ids[0], populated.run_ids[4]
    diff = http.get("/api/diff", params={"a": a, "b": b}).json()
    assert diff["params"]["changed"] == [{"key": "C", "a": "0.1", "b": "0.5"}]
    assert diff["data"][0]["same_data"] is False
    assert diff["data"][0]["columns_added"] == ["c"] and diff["data"][0]["columns_removed"] == ["b"]
    assert diff["code"]["same_commit"] is False


def test_unknown_things_are_404(http, populated):
    assert http.get("/api/experiments/999").status_code == 404
    assert http.get("/api/experiments/abc").status_code == 404
    assert http.get("/api/runs/" + "0" * 32).status_code == 404
    assert http.get("/api/runs/not-a-run").status_code == 404
    missing = http.get(f"/api/runs/{populated.run_ids[0]}/artifacts", params={"path": "nope"})
    assert missing.status_code == 404
    assert (
        http.get(f"/api/runs/{populated.run_ids[0]}/metrics/history", params={"key": "nope"}).status_code
        == 404
    )
    assert http.get("/api/nothing-here").status_code == 404


def test_rename_delete_restore_with_json_and_csrf(http, populated):
    run_id = populated.run_ids[5]
    headers = {"X-CSRF-Token": "test-token"}
    renamed = http.post(f"/api/runs/{run_id}/rename", json={"name": "renamed"}, headers=headers)
    assert renamed.status_code == 200
    assert http.get(f"/api/runs/{run_id}").json()["info"]["run_name"] == "renamed"
    assert http.post(f"/api/runs/{run_id}/delete", json={}, headers=headers).status_code == 200
    assert http.get(f"/api/runs/{run_id}").json()["info"]["lifecycle_stage"] == "deleted"
    assert http.post(f"/api/runs/{run_id}/restore", json={}, headers=headers).status_code == 200
    http.post(f"/api/runs/{run_id}/rename", json={"name": "lr-5"}, headers=headers)
    assert http.get(f"/api/runs/{run_id}").json()["info"]["lifecycle_stage"] == "active"
