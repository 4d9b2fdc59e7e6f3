"""Browser test of the model registry pages: Chromium through Playwright against `autolog ui`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.ui._server import UiProcess

FIT_SCRIPT = textwrap.dedent("""
    import autolog
    autolog.set_experiment("registry-browser")
    autolog.autolog(registered_model_name="iris-clf")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    X, y = load_iris(return_X_y=True)
    LogisticRegression(C=0.05, max_iter=300).fit(X, y)
    GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    autolog.set_registered_model_alias("iris-clf", "champion", 1)
""")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("registry-browser") / "store")
    env = {**os.environ, "AUTOLOG_TRACKING_URI": store, "AUTOLOG_STRICT": "1"}
    subprocess.run([sys.executable, "-c", FIT_SCRIPT], check=True, env=env, timeout=300)
    server = UiProcess(store)
    yield server, store
    code, _, err = server.stop()
    assert code == 0, err


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()


def test_models_page_then_move_champion_through_the_ui(page, served, tmp_path_factory):
    from autolog import Client

    server, store = served
    shots = tmp_path_factory.mktemp("registry-screenshots")
    print(f"\n[screenshots] {shots}")
    page.goto(server.url + "/")
    page.click("nav >> text=Models")
    page.wait_for_selector("table#models")
    row = page.locator("table#models tbody tr", has_text="iris-clf")
    assert "v2" in row.inner_text() and "champion" in row.inner_text()
    page.screenshot(path=str(shots / "models.png"), full_page=True)

    row.get_by_role("link", name="iris-clf").click()
    page.wait_for_selector("table#versions")
    assert page.locator("table#versions tbody tr").count() == 2
    assert page.locator("#version-metrics").is_visible()
    page.fill("#alias-form input[name=alias]", "champion")
    page.select_option("#alias-form select[name=version]", "2")
    page.click("#alias-form button[type=submit]")
    page.wait_for_selector("#aliases [data-alias=champion] >> text=v2")
    assert Client(store).get_model_version_by_alias("iris-clf", "champion").version == 2

    page.fill("#alias-form input[name=alias]", "latest")
    page.click("#alias-form button[type=submit]")
    page.wait_for_selector("#alias-status >> text=reserved")
    page.screenshot(path=str(shots / "model.png"), full_page=True)

    page.click("#aliases [data-delete-alias=champion]")
    page.wait_for_selector("#no-aliases")
    assert Client(store).get_registered_model("iris-clf").aliases == {}

    page.locator("table#versions a", has_text="GridSearchCV").click()
    page.wait_for_selector("table#registered-versions")
    assert "iris-clf v2" in page.locator("#registered-as").inner_text()
    page.screenshot(path=str(shots / "run.png"), full_page=True)
    errors = [e for e in page.errors if "400" not in e]  # the refused 'latest' alias logs a 400
    assert errors == []
