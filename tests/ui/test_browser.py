"""Browser tests: Debian's Chromium driven by Playwright against `autolog ui` as a real process.

The store is filled by real autologged scikit-learn fits. Screenshots of the main pages are saved
under the test's temporary directory (printed with ``pytest -s``) for a human look.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.ui._server import UiProcess

FIT_SCRIPT = textwrap.dedent("""
    import autolog
    autolog.set_experiment("iris-browser")
    autolog.autolog()
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import GridSearchCV
    X, y = load_iris(return_X_y=True)
    for C in (0.01, 0.1, 1.0):
        model = LogisticRegression(C=C, max_iter=300).fit(X, y)
        accuracy_score(y, model.predict(X))
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    client = autolog.Client()
    experiment = client.get_experiment_by_name("iris-browser").experiment_id
    run = client.create_run(experiment, run_name='<img src=x onerror=alert(1)>',
                            params={"payload": '<script>alert(2)</script>'})
    for step in range(25):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    client.log_text(run.info.run_id, "a,b\\n1,2\\n", "table.csv")
    client.set_terminated(run.info.run_id)
""")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("browser") / "store")
    env = {**os.environ, "AUTOLOG_TRACKING_URI": store, "AUTOLOG_STRICT": "1"}
    subprocess.run([sys.executable, "-c", FIT_SCRIPT], check=True, env=env, timeout=300)
    server = UiProcess(store)
    yield server
    code, _, err = server.stop()
    assert code == 0, err


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    directory = tmp_path_factory.mktemp("screenshots")
    print(f"\n[screenshots] {directory}")
    return directory


def _open_experiment(page, served):
    """Open the runs page and wait for its load event: the scripts that set up the selection ran."""
    page.goto(served.url + "/")
    page.click("text=iris-browser")
    page.wait_for_url(re.compile(r"/experiments/\d+"), wait_until="load")
    page.wait_for_selector("table#runs")


def test_experiments_runs_sort_filter_and_columns(page, served, shots):
    page.goto(served.url + "/")
    assert page.locator("table#experiments").is_visible()
    page.screenshot(path=str(shots / "experiments.png"), full_page=True)
    _open_experiment(page, served)
    page.screenshot(path=str(shots / "runs.png"), full_page=True)
    assert page.locator("tr.child").count() >= 2  # grid-search children under their parent

    page.click("thead >> text=training_accuracy_score")
    page.wait_for_url("**sort=metrics.training_accuracy_score**")
    page.fill("input[name=q]", "params.C = '0.01'")
    page.click("#filter-form + button, button:has-text('Filter')")
    page.wait_for_url("**q=params.C**")
    assert page.locator("table#runs tbody tr").count() == 1

    page.fill("input[name=q]", "params.C >>> 1")
    page.click("button:has-text('Filter')")
    assert page.locator("#filter-error").is_visible()

    _open_experiment(page, served)
    page.click("details#columns summary")
    assert page.locator("#columns-form label", has_text="max_iter").count() == 1
    page.fill("#column-search", "score")
    page.wait_for_selector("#column-search[data-found]")  # the server's list, not only the instant filter
    shown = page.locator("#columns-form label:visible").all_inner_texts()
    assert shown and all("score" in text for text in shown)
    assert page.locator("#columns-form label:visible", has_text="max_iter").count() == 0
    page.fill("#column-search", "")
    for box in page.locator("#columns-form input[type=checkbox]").all():
        box.uncheck()
    page.locator("#columns-form input[value='metrics.training_accuracy_score']").check()
    page.click("#columns-form button:has-text('Apply')")
    page.wait_for_url("**col=metrics.training_accuracy_score**")
    headers = page.locator("table#runs thead th").all_inner_texts()
    assert any("training_accuracy_score" in h for h in headers)
    assert not any("training_f1_score" in h for h in headers)


def test_run_page_params_chart_and_artifact_preview(page, served, shots):
    _open_experiment(page, served)
    page.locator("table#runs").get_by_role("link", name="LogisticRegression", exact=True).first.click()
    page.wait_for_selector("table#params")
    assert page.locator("table#params").inner_text().count("max_iter") == 1
    assert (
        "autolog.load_model(" in page.locator(".loadline", has_text="autolog.load_model(").first.inner_text()
    )
    page.screenshot(path=str(shots / "run.png"), full_page=True)
    page.locator("#artifacts a", has_text="model/").click()
    page.locator("#artifacts a", has_text="autolog-model.json").click()
    assert "sha256" in page.locator("#preview").inner_text()

    _open_experiment(page, served)
    page.locator("table#runs a", has_text="<img src=x").click()
    chart = page.locator("[data-chart][data-drawn]")
    chart.wait_for()
    assert int(chart.get_attribute("data-drawn")) == 25
    assert page.locator("[data-chart] canvas").count() >= 1
    box = page.locator("[data-chart] .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    values = page.locator(".u-legend .u-value").all_inner_texts()
    assert any(v not in ("--", "") for v in values)  # hover shows values
    page.mouse.move(box["x"] + 10, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + 20)
    page.mouse.up()  # drag-to-zoom must not throw
    page.screenshot(path=str(shots / "run-chart.png"), full_page=True)
    page.locator("#artifacts a", has_text="table.csv").first.click()
    assert page.locator("#preview table th").all_inner_texts() == ["a", "b"]
    page.screenshot(path=str(shots / "artifact-csv.png"), full_page=True)
    assert page.dialogs == [] and page.errors == []


def test_select_compare_diff_and_csv(page, served, shots):
    from playwright.sync_api import expect  # retries until the page's script has set the state

    _open_experiment(page, served)
    expect(page.locator("#compare-button")).to_be_disabled()
    boxes = page.locator("table#runs tbody input[name=run]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#selection-count")).to_have_text("2 selected")
    expect(page.locator("#diff-button")).to_be_enabled()
    page.click("#compare-button")
    page.wait_for_selector("#compare-table")
    page.wait_for_selector("[data-chart][data-drawn]")
    page.screenshot(path=str(shots / "compare.png"), full_page=True)
    assert page.locator("tr.differs").count() >= 1
    page.click("#diff-link")
    page.wait_for_selector("#diff-summary")
    page.screenshot(path=str(shots / "diff.png"), full_page=True)
    assert page.locator("#diff-metrics tbody tr").count() >= 1

    _open_experiment(page, served)
    with page.expect_download() as download_info:
        page.click("#csv-link")
    path = download_info.value.path()
    with open(path, encoding="utf-8") as handle:
        header = handle.readline()
    assert header.startswith("run_id,run_name,status")
    assert page.dialogs == [] and page.errors == []


def test_xss_payloads_trigger_no_dialog(page, served):
    _open_experiment(page, served)
    page.locator("table#runs a", has_text="<img src=x").click()
    page.wait_for_selector("table#params")
    assert "<script>alert(2)</script>" in page.locator("table#params").inner_text()
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.errors == []
