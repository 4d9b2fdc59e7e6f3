"""The run page draws the evaluation plots of a fit and a search (real server, real Chromium)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.ui._server import UiProcess

FIT_SCRIPT = textwrap.dedent("""
    import autolog
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV

    autolog.autolog(log_models=False)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    print("classifier", autolog.last_active_run().info.run_id)
    Ridge().fit(*load_diabetes(return_X_y=True))
    print("regressor", autolog.last_active_run().info.run_id)
    X, y = load_iris(return_X_y=True)
    GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.001, 0.1, 10.0], "fit_intercept": [True, False]}, cv=3).fit(X, y)
    print("search", autolog.last_active_run().info.run_id)
""")
EXPECTED = {
    "classifier": [
        "confusion_matrix",
        "roc_curve",
        "precision_recall_curve",
        "calibration_curve",
        "feature_importance",
    ],
    "regressor": ["predicted_vs_actual", "residual_histogram", "feature_importance"],
    "search": [
        "confusion_matrix",
        "roc_curve",
        "precision_recall_curve",
        "feature_importance",
        "parallel_coordinates",
        "param_vs_score",
        "param_vs_score",
    ],
}


@pytest.fixture(scope="module")
def served_runs(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("plots") / "store")
    env = {**os.environ, "AUTOLOG_TRACKING_URI": store, "AUTOLOG_STRICT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", FIT_SCRIPT], check=True, env=env, timeout=300, capture_output=True, text=True
    )
    run_ids = dict(line.split() for line in done.stdout.splitlines())
    server = UiProcess(store)
    yield server, run_ids
    code, _, err = server.stop()
    assert code == 0, err


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_run_page_draws_every_plot(browser, served_runs, kind, tmp_path):
    server, run_ids = served_runs
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/runs/{run_ids[kind]}")
    page.wait_for_selector("#evaluation[data-loaded]", timeout=30000)
    plots = page.eval_on_selector_all(
        "[data-plot]",
        "cards => cards.map(c => [c.dataset.plot, Number((c.querySelector('[data-drawn]') || {dataset: {drawn: 0}}).dataset.drawn)])",
    )
    assert [name for name, _ in plots] == EXPECTED[kind]
    assert all(drawn > 0 for _, drawn in plots), plots
    if kind == "search":
        assert dict(plots)["parallel_coordinates"] == 6  # one line per candidate
    page.locator("#evaluation").screenshot(path=str(tmp_path / f"{kind}.png"))
    assert errors == []
    page.close()


def test_compare_overlays_the_roc_and_precision_recall_curves_of_the_runs(browser, served_runs, tmp_path):
    server, run_ids = served_runs
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    chosen = [run_ids["classifier"], run_ids["regressor"], run_ids["search"]]
    page.goto(f"{server.url}/compare?" + "&".join(f"run={r}" for r in chosen))
    page.wait_for_selector("#evaluation-curves[data-loaded]", timeout=30000)
    assert page.get_attribute("#evaluation-curves", "data-loaded") == "2"  # the regressor has none
    assert page.locator("#curves-section").is_visible()
    drawn = page.eval_on_selector_all(
        "#evaluation-curves [data-plot]",
        "cards => cards.map(c => [c.dataset.plot, c.querySelector('[data-drawn]').dataset.drawn])",
    )
    assert drawn == [["roc_curve", "2"], ["precision_recall_curve", "2"]]
    legend = page.locator("[data-plot=roc_curve] .curve-legend li")
    assert sorted(legend.evaluate_all("items => items.map(i => i.dataset.run)")) == sorted(chosen[::2])
    assert "AUC 0." in legend.first.inner_text() or "AUC 1.000" in legend.first.inner_text()
    # iris (the search) has three classes: one class at a time, chosen from the union of labels
    assert page.locator("#curve-class option").all_inner_texts() == ["1", "0", "2"]
    page.select_option("#curve-class", "2")
    assert page.locator("[data-plot=roc_curve] h3").inner_text().startswith("ROC curve · class 2")
    page.locator("#curves-section").screenshot(path=str(tmp_path / "compare-curves.png"))
    response = page.request.get(f"{server.url}/api/evaluation/curves?run={run_ids['regressor']}&name=../x")
    assert response.status == 400
    page.goto(f"{server.url}/compare?run={run_ids['regressor']}")
    page.wait_for_selector("#evaluation-curves[data-loaded='0']", state="attached", timeout=30000)
    assert not page.locator("#curves-section").is_visible() and not page.locator("#curves-link").is_visible()
    assert errors == []
    page.close()
