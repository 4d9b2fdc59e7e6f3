"""The tuning view of a study parent run: trials table, optimization history and parallel
coordinates, from a real autologged Optuna study; rendered by the app and drawn by Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("optuna")

from tests.ui._server import UiProcess

STUDY_SCRIPT = textwrap.dedent(
    """
    import autolog, optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    autolog.autolog()
    study = optuna.create_study(study_name="<b>quad</b>", sampler=optuna.samplers.RandomSampler(seed=1))
    def objective(trial):
        x, y = trial.suggest_float("x", -3, 3), trial.suggest_int("y", 0, 4)
        if trial.number == 2:
            raise optuna.TrialPruned()
        return (x - 1) ** 2 + y
    study.optimize(objective, n_trials=6)
    """
)


@pytest.fixture(scope="module")
def study_store(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("tuning") / "store")
    env = {**os.environ, "AUTOLOG_TRACKING_URI": store, "AUTOLOG_STRICT": "1"}
    subprocess.run([sys.executable, "-c", STUDY_SCRIPT], check=True, env=env, timeout=300)
    import autolog

    client = autolog.Client(store)
    (parent,) = [r for r in client.search_runs(["0"]) if r.info.parent_run_id is None]
    return store, client, parent


def test_the_run_page_lists_the_trials_with_links_to_their_runs(study_store):
    from starlette.testclient import TestClient

    from autolog.ui import create_app

    store, client, parent = study_store
    with TestClient(create_app(store, csrf_token="t"), base_url="http://127.0.0.1:5000") as http:
        page = http.get(f"/runs/{parent.info.run_id}").text
        plain = http.get(
            f"/runs/{[r for r in client.search_runs(['0']) if r.info.parent_run_id][0].info.run_id}"
        ).text
    table = page[page.index('id="tuning-trials"') : page.index("</table>", page.index('id="tuning-trials"'))]
    assert table.count("<tr>") == 1 + 6 and "PRUNED" in table and "COMPLETE" in table
    children = {
        r.info.run_id for r in client.search_runs(["0"]) if r.info.parent_run_id == parent.info.run_id
    }
    assert set(re.findall(r'href="/runs/([0-9a-f]+)"', table)) == children
    assert "<b>quad</b>" not in page and 'id="tuning-data"' in page and "/static/tuning.js" in page
    assert 'id="tuning-trials"' not in plain and "/static/tuning.js" not in plain


@pytest.mark.slow
def test_chromium_draws_the_history_and_parallel_coordinates(study_store, browser):
    store, _, parent = study_store
    server = UiProcess(store)
    try:
        page = browser.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(f"{server.url}/runs/{parent.info.run_id}")
        page.wait_for_selector("#tuning-history[data-drawn]")
        assert page.get_attribute("#tuning-history", "data-drawn") == "5"  # the 5 complete trials
        assert page.get_attribute("#tuning-parallel", "data-drawn") == "5"
        assert page.locator("#tuning-parallel polyline").count() == 5
        assert problems == []
        page.close()
    finally:
        code, _, err = server.stop()
    assert code == 0, err
