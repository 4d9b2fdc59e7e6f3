"""Server-rendered pages: content, query-string state, CSV, compare and diff."""

from __future__ import annotations

import csv
import io
import re


def _runs_url(populated) -> str:
    return f"/experiments/{populated.experiment_id}"


def test_experiments_page_lists_names_counts_and_searches(http):
    page = http.get("/")
    assert page.status_code == 200
    assert ">iris</a>" in page.text and ">digits</a>" in page.text
    searched = http.get("/", params={"q": "iri"})
    assert ">iris</a>" in searched.text and ">digits</a>" not in searched.text


def test_runs_page_columns_and_child_grouping(http, populated):
    page = http.get(_runs_url(populated)).text
    assert "lr-0" in page and "search" in page and "2 child runs" in page
    # params and metrics as columns by default
    assert re.search(r"<span class=\"group\">param</span><a[^>]*>C", page)
    assert re.search(r"<span class=\"group\">metric</span><a[^>]*>accuracy", page)
    # children directly follow their parent
    rows = re.findall(r'<tr class="(child)?" data-run-id="([0-9a-f]{32})"', page)
    parent_index = [run_id for _, run_id in rows].index(populated.parent_id)
    following = {run_id for _, run_id in rows[parent_index + 1 : parent_index + 3]}
    assert following == set(populated.child_ids)


def test_runs_page_sort_by_metric_and_filter(http, populated):
    page = http.get(
        _runs_url(populated), params={"sort": "metrics.accuracy", "dir": "asc", "q": "params.penalty = 'l2'"}
    ).text
    names = re.findall(r'<a href="/runs/[0-9a-f]{32}">(lr-\d)</a>', page)
    assert names == ["lr-1", "lr-3", "lr-5"]
    assert "3 runs" in page


def test_runs_page_bad_filter_shows_error_inline(http, populated):
    response = http.get(_runs_url(populated), params={"q": "metrics.accuracy >> 1"})
    assert response.status_code == 200
    assert 'id="filter-error"' in response.text
    assert 'class="filter invalid"' in response.text


def test_runs_page_chosen_columns_and_paging(http, populated):
    url = _runs_url(populated)
    page = http.get(url, params={"cols": "1", "col": ["metrics.loss"], "n": "3"}).text
    assert ">loss" in page and ">penalty<" not in page
    assert "Runs 1–3 of 9" in page
    next_href = re.search(r'id="next-page" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    second = http.get(url + next_href).text
    assert "Runs 4–6 of 9" in second and ">loss" in second


def test_csv_download_of_the_filtered_table(http, populated):
    response = http.get(
        f"{_runs_url(populated)}/runs.csv", params={"q": "params.penalty = 'l1'", "sort": "metrics.accuracy"}
    )
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.text)))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["run_id", "run_name", "status"] and "metrics.accuracy" in header
    assert len(body) == 3
    accuracy = [float(r[header.index("metrics.accuracy")]) for r in body]
    assert accuracy == sorted(accuracy, reverse=True)


def test_csv_neutralizes_formulas(http, populated):
    from autolog import Client

    client = Client(populated.uri)
    run = client.create_run(populated.experiment_id, run_name='=HYPERLINK("http://x")', params={"C": "-1"})
    try:
        text = http.get(f"{_runs_url(populated)}/runs.csv", params={"q": "params.C = '-1'"}).text
        assert "'=HYPERLINK" in text  # a formula becomes text
        import csv
        import io

        (row,) = csv.DictReader(io.StringIO(text))
        assert row["params.C"] == "-1"  # a negative number stays a number
    finally:
        client.delete_run(run.info.run_id)


def test_run_page_shows_overview_params_metrics_tags_artifacts(http, populated):
    page = http.get(f"/runs/{populated.run_ids[0]}").text
    assert "lr-0" in page and "FINISHED" in page
    assert "aaaaaaaaaa" in page  # git commit
    assert 'id="params"' in page and "penalty" in page
    assert 'data-chart data-key="loss"' in page  # 20 points -> a chart
    assert 'data-key="accuracy"' not in page  # one point -> no chart
    assert "team" in page and "vision" in page
    assert "config.json" in page and "notes/" in page
    assert "150x4" in page  # data fingerprint
    assert f"autolog runs reproduce {populated.run_ids[0]}" in page  # a recorded commit: reproducible


def test_run_page_model_metadata_and_load_line(http, populated):
    page = http.get(f"/runs/{populated.model_run_id}").text
    assert f'autolog.load_model("runs:/{populated.model_run_id}/model")' in page
    assert "sklearn" in page and "sha256" in page and "scikit-learn==" in page


def test_artifact_previews(http, populated):
    base = f"/runs/{populated.run_ids[0]}/artifacts"
    listing = http.get(base, params={"path": "tables"}).text
    assert "table.csv" in listing
    table = http.get(base, params={"path": "tables/table.csv"}).text
    assert "<th>x</th><th>y</th>" in table and '<td class="value">3</td>' in table
    as_json = http.get(base, params={"path": "config.json"}).text
    assert "&#34;alpha&#34;: 1" in as_json
    text = http.get(base, params={"path": "notes/readme.txt"}).text
    assert "hello" in text
    image_page = http.get(f"/runs/{populated.xss_run_id}/artifacts", params={"path": "plot.png"}).text
    assert "/artifacts/image?path=plot.png" in image_page


def test_compare_page_highlights_differences(http, populated):
    a, b = populated.run_ids[0], populated.run_ids[1]
    page = http.get("/compare", params={"run": [a, b]}).text
    assert '<tr class="differs" data-section="params"><th scope="row" title="C">C</th>' in page
    assert 'title="cv">cv</th>' not in page  # not a param of these runs
    assert 'id="scatter"' in page and page.count("<circle") == 2
    assert f'[{{"id": "{a}"' in page.replace("&#34;", '"') or f'"id":"{a}"' in page  # the charts' runs
    assert page.count("<polyline") == 2  # parallel coordinates: one line per run
    only = http.get("/compare", params={"run": [a, b], "only_diff": "1"}).text
    assert 'title="C">C</th>' in only and 'title="team">' not in only


def test_compare_scatter_with_chosen_axes(http, populated):
    page = http.get("/compare", params={"run": populated.run_ids[:4], "x": "penalty", "y": "accuracy"}).text
    assert page.count("<circle") == 4 and ">l1</text>" in page and ">l2</text>" in page


def test_selection_form_goes_to_diff(http, populated):
    a, b = populated.run_ids[0], populated.run_ids[4]
    response = http.get("/compare", params={"run": [a, b], "action": "diff"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/diff?a={a}&b={b}"
    three = http.get("/compare", params={"run": populated.run_ids[:3], "action": "diff"})
    assert three.status_code == 400


def test_diff_page_content(http, populated):
    a, b = populated.run_ids[0], populated.run_ids[4]
    page = http.get("/diff", params={"a": a, "b": b}).text
    assert "What changed" in page
    assert 'id="diff-metrics"' in page and "accuracy" in page
    assert "+0.08" in page  # 0.88 - 0.80
    assert "changed" in page and "0.1" in page and "0.5" in page
    assert "different" in page and "+c" in page and "−b" in page
    assert "aaaaaaaaaaaa → bbbbbbbbbbbb" in page


def test_pages_404(http, populated):
    assert http.get("/experiments/999").status_code == 404
    assert http.get("/runs/" + "f" * 32).status_code == 404
    assert (
        http.get(f"/runs/{populated.run_ids[0]}/artifacts", params={"path": "missing.txt"}).status_code == 404
    )
    assert http.get("/diff", params={"a": populated.run_ids[0], "b": "0" * 32}).status_code == 404
