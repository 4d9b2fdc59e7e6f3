"""The JSON API added for charts at scale, live views, the column chooser and editing (real store,
Starlette's TestClient; the session's populated store is shared, so edits use a run of their own)."""

from __future__ import annotations

import pytest

HEADERS = {"X-CSRF-Token": "test-token", "Content-Type": "application/json"}


def test_one_request_returns_every_run_that_has_the_metric(http, populated):
    runs = populated.run_ids[:3] + [populated.xss_run_id]  # the xss run has no "loss"
    body = http.get("/api/metrics/histories", params={"key": "loss", "run": runs, "max_points": 10}).json()
    assert [s["run_id"] for s in body["series"]] == populated.run_ids[:3]
    assert all(len(s["steps"]) <= 10 and s["sampled"] and s["total"] == 20 for s in body["series"])
    full = http.get(
        "/api/metrics/histories", params={"key": "loss", "run": runs[0], "min_step": 5, "max_step": 9}
    ).json()["series"][0]
    assert full["steps"] == [5, 6, 7, 8, 9] and not full["sampled"] and full["cursor"][0] == 9
    nan = http.get("/api/metrics/histories", params={"key": "accuracy", "run": populated.xss_run_id}).json()
    assert nan["series"][0]["values"] == ["NaN"]
    assert http.get("/api/metrics/histories", params={"key": "loss"}).status_code == 400
    assert (
        http.get(
            "/api/metrics/histories", params={"key": "loss", "run": runs[0], "max_points": "x"}
        ).status_code
        == 400
    )


def test_live_reads_only_points_after_the_cursor(http, populated):
    run_id = populated.run_ids[0]
    body = http.get(
        f"/api/runs/{run_id[:10]}/live", params={"key": ["loss", "nope"], "cursor": ["17:0", ""]}
    ).json()
    assert body["run_id"] == run_id and body["running"] is False
    assert list(body["series"]) == ["loss"] and body["series"]["loss"]["steps"] == [17, 18, 19]
    assert http.get(f"/api/runs/{run_id}/live", params={"key": "loss", "cursor": "x"}).status_code == 400
    table = http.get("/api/live/runs", params={"run": populated.run_ids[:2], "since": 0}).json()
    assert set(table["runs"]) == set(populated.run_ids[:2]) and "loss" in table["runs"][run_id]["metrics"]
    later = http.get("/api/live/runs", params={"run": run_id, "since": table["now"]}).json()
    assert later["runs"][run_id]["metrics"] == {}


def test_keys_listing_and_search(http, populated):
    body = http.get(f"/api/experiments/{populated.experiment_id}/keys").json()
    assert {"loss", "accuracy"} <= set(body["metrics"])
    assert body["params"][:2] == sorted(body["params"][:2]) and "C" in body["params"]
    found = http.get(f"/api/experiments/{populated.experiment_id}/keys", params={"q": "PEN"}).json()
    assert found["params"] == ["penalty"] and found["metrics"] == []


@pytest.fixture
def own_run(populated):
    from autolog import Client

    client = Client(populated.uri)
    run = client.create_run(populated.experiment_id, run_name="editable")
    yield client, run.info.run_id
    client.delete_run(run.info.run_id)


def test_tags_and_notes_need_json_and_the_csrf_token(http, own_run):
    client, run_id = own_run
    url = f"/api/runs/{run_id}/tags"
    assert http.post(url, json={"key": "team", "value": "x"}).status_code == 403  # no token
    assert http.post(url, content="key=team", headers={"X-CSRF-Token": "test-token"}).status_code in (
        403,
        415,
    )
    assert http.post(url, json={"key": "team", "value": "vision"}, headers=HEADERS).status_code == 200
    assert http.post(url, json={"key": "", "value": "v"}, headers=HEADERS).status_code == 400
    assert client.get_run(run_id).data.tags["team"] == "vision"
    assert http.post(f"{url}/delete", json={"key": "team"}, headers=HEADERS).status_code == 200
    assert "team" not in client.get_run(run_id).data.tags

    note = "# Title\n<img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://example.org)"
    body = http.post(f"/api/runs/{run_id}/note", json={"content": note}, headers=HEADERS).json()
    assert (
        "<h3>Title</h3>" in body["html"]
        and "<img" not in body["html"]
        and "javascript:" not in body["html"].split("href")[-1]
    )
    assert 'href="https://example.org"' in body["html"]
    assert client.get_run(run_id).data.tags["mlflow.note.content"] == note
    page = http.get(f"/runs/{run_id}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "mlflow.note.content" not in page
    http.post(f"/api/runs/{run_id}/note", json={"content": ""}, headers=HEADERS)
    assert "mlflow.note.content" not in client.get_run(run_id).data.tags


def test_experiment_note_and_prefix_search(http, populated, own_run):
    client, run_id = own_run
    experiment = populated.experiment_id
    try:
        assert (
            http.post(
                f"/api/experiments/{experiment}/note", json={"content": "**iris** runs"}, headers=HEADERS
            ).status_code
            == 200
        )
        assert "<strong>iris</strong> runs" in http.get(f"/experiments/{experiment}").text
    finally:
        client.set_experiment_tag(experiment, "mlflow.note.content", "")
    found = http.get("/search", params={"find": run_id[:12]}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/runs/{run_id}"
    by_name = http.get("/search", params={"find": "editab"}, follow_redirects=False)
    assert "run_name" in by_name.headers["location"]
    page = http.get(by_name.headers["location"]).text
    assert "editable" in page and "<th>Experiment</th>" in page
