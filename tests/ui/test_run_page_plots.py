"""The run page draws the evaluation plots of a fit and a search (real server, real Chromium)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.ui._server import UiProcess
from tests.ui.test_browser import browser  # noqa: F401  (the module's Chromium fixture)

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
def test_the_run_page_draws_every_plot(browser, served_runs, kind, tmp_path):  # noqa: F811
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
