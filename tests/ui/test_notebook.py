"""Notebooks: ``_repr_html_`` of Run, Experiment and search results, and ``autolog.show`` as static
SVG, checked by executing a small notebook with nbclient (a real IPython kernel)."""

from __future__ import annotations

import json

import pytest

from tests.ui._bigdata import compare_runs

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def store(tmp_path):
    from autolog import Client

    uri = str(tmp_path / "store")
    client = Client(uri)
    experiment = client.create_experiment("notebook")
    ids = compare_runs(client, experiment, runs=3, metrics=2, steps=30)
    client.update_run(ids[0], run_name=XSS)
    client.log_param(ids[0], "payload", XSS)
    return uri, client, experiment, ids


def test_repr_html_is_escaped_and_links_to_a_running_ui(store, tmp_path, monkeypatch):
    uri, client, experiment, ids = store
    registry = tmp_path / "registry.json"
    monkeypatch.setenv("AUTOLOG_UI_REGISTRY", str(registry))
    run = client.get_run(ids[0])
    page = run._repr_html_()
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "href" not in page  # no UI running
    from autolog._core._html import register_ui, unregister_ui

    register_ui("http://127.0.0.1:5999", client.store.artifact_root)
    try:
        assert f'href="http://127.0.0.1:5999/runs/{ids[0]}"' in run._repr_html_()
        assert f"/experiments/{experiment}" in client.get_experiment(experiment)._repr_html_()
        results = client.search_runs([experiment])
        table = results._repr_html_()
        assert table.count("<tr>") == 1 + 3 and "metrics.m00" in table and XSS not in table
    finally:
        unregister_ui()
    assert "href" not in run._repr_html_()
    other = tmp_path / "elsewhere"
    register_ui("http://127.0.0.1:5998", str(other))  # a UI of another store: no link
    try:
        assert "href" not in run._repr_html_()
    finally:
        unregister_ui()


def test_notebook_renders_tables_and_svg_charts(store, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    uri, _, experiment, ids = store
    cells = [
        f"import autolog\nautolog.set_tracking_uri({uri!r})\nruns = autolog.Client().search_runs([{experiment!r}])",
        "runs",
        f"autolog.Client().get_run({ids[0]!r})",
        "autolog.show(runs)",
        f"autolog.show({ids[1]!r}, keys=['m01'])",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    html_of = [[o.get("data", {}).get("text/html", "") for o in cell.outputs] for cell in notebook.cells]
    assert "3 runs" in html_of[1][0] and XSS not in html_of[1][0]
    assert "&lt;img" in html_of[2][0]
    charts = html_of[3][0]
    assert charts.count("<svg") == 2 and charts.count("<polyline") >= 6 and "<script" not in charts
    assert html_of[4][0].count("<svg") == 1
    nbformat.write(notebook, str(tmp_path / "rendered.ipynb"))
    page = "<html><body>" + "".join(h for outputs in html_of for h in outputs) + "</body></html>"
    (tmp_path / "rendered.html").write_text(page, encoding="utf-8")
    print(f"\n[notebook] {tmp_path / 'rendered.html'}")
    assert json.loads((tmp_path / "rendered.ipynb").read_text())["cells"]
