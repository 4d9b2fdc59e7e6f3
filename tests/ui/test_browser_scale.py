"""Browser tests of the UI at scale and while runs train: compare 50 runs, a 1,000,000-step chart,
an experiment with 10,000 keys, editing, a live run. Debian's Chromium (Playwright) against
`autolog ui` as a real process; stores are written through the store's batch call.

Timings come from the browser's Performance API and are printed (``pytest -s``); the targets are
measured in ``bench/`` (the ``ui`` workload), not asserted here. Screenshots go to the printed
directory for a human look.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.ui._bigdata import compare_runs, long_run, wide_experiment
from tests.ui._server import UiProcess

STEPS = 1_000_000
pytestmark = pytest.mark.slow  # ~80 s: a 1,000,000-point store and a real server + Chromium


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    from autolog import Client

    store = str(tmp_path_factory.mktemp("big") / "store")
    client = Client(store)
    data = {"client": client}
    data["compare_exp"] = client.create_experiment("compare-50")
    data["compare_ids"] = compare_runs(client, data["compare_exp"], runs=50, metrics=4, steps=200)
    data["long_exp"] = client.create_experiment("long")
    data["long_id"] = long_run(client, data["long_exp"], steps=STEPS)
    data["wide_exp"] = client.create_experiment("wide")
    data["wide_ids"] = wide_experiment(client, data["wide_exp"], keys=10_000, runs=100)
    server = UiProcess(store)
    data["url"] = server.url
    yield data
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.dialogs, page.answer = [], ""
    page.on(
        "dialog",
        lambda dialog: (
            page.dialogs.append(dialog.message),
            dialog.accept(page.answer) if dialog.type == "prompt" else dialog.accept(),
        ),
    )
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    directory = tmp_path_factory.mktemp("screenshots-scale")
    print(f"\n[screenshots] {directory}")
    return directory


def _navigation_ms(page) -> dict:
    timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")
    return {k: round(v, 1) for k, v in timing.items()}


def _requests(page, pattern: str) -> list:
    return page.evaluate(f"""() => performance.getEntriesByType('resource')
        .map(e => e.name).filter(n => n.includes({pattern!r}))""")


def test_compare_50_runs_one_request_per_chart(page, big, shots):
    url = big["url"] + "/compare?" + "&".join(f"run={r}" for r in big["compare_ids"])
    page.goto(url)
    page.wait_for_selector("#compare-table")
    visible_charts = page.locator("[data-chart]").first
    visible_charts.wait_for()
    page.wait_for_selector("[data-chart][data-drawn]")
    print(
        "[timing] compare 50 runs:",
        _navigation_ms(page),
        "first chart ms:",
        page.evaluate("performance.getEntriesByType('mark')[0].startTime"),
    )
    # header cells and value cells share the columns of one table
    header = page.locator("#compare-table thead th").nth(3).bounding_box()
    cell = page.locator("#compare-metrics tr:not(.section) td").nth(2).bounding_box()
    assert abs(header["x"] - cell["x"]) < 1 and abs(header["width"] - cell["width"]) < 1
    assert page.locator("#compare-table thead th").count() == 51
    assert page.locator("#parallel-chart polyline").count() == 50
    page.screenshot(path=str(shots / "compare-50.png"), full_page=False)
    page.locator("#histories").scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelectorAll('[data-chart][data-drawn]').length === 4")
    page.screenshot(path=str(shots / "compare-50-charts.png"), full_page=False)
    histories = _requests(page, "/api/metrics/histories")
    assert len(histories) == 4  # one per chart for all 50 runs
    assert all(h.count("run=") == 50 for h in histories)
    page.click("#only-diff")
    page.wait_for_url("**only_diff=1**")
    assert "seed" not in page.locator("#compare-params").inner_text()  # the same in every run
    page.select_option("#scatter-form select[name=x]", "depth")
    page.click("#scatter-form button")
    page.wait_for_url("**x=depth**")
    assert page.locator("#scatter circle").count() == 50
    assert page.errors == []


def test_million_step_chart_is_sampled_and_zooms_to_full_resolution(page, big, shots):
    page.goto(big["url"] + f"/runs/{big['long_id']}")
    chart = page.locator("[data-chart][data-drawn]")
    chart.wait_for(timeout=30000)
    points = int(chart.get_attribute("data-points"))
    print(
        "[timing] 1M-step chart (cold cache): fetch+draw ms",
        chart.get_attribute("data-render-ms"),
        "navigation",
        _navigation_ms(page),
    )
    assert 100 < points <= 2000
    page.reload()
    chart = page.locator("[data-chart][data-drawn]")
    chart.wait_for()
    print("[timing] 1M-step chart (warm): fetch+draw ms", chart.get_attribute("data-render-ms"))
    spike = page.evaluate("""() => { const [x, y] = window.autologCharts.charts['loss'].full;
        return Math.max(...y.filter((v, i) => v !== null && x[i] > 300000 && x[i] < 400000)); }""")
    assert spike > 1.5  # the one-step spike at step 333,333 survives down-sampling
    page.screenshot(path=str(shots / "chart-1M.png"), full_page=False)
    box = page.locator("[data-chart] .u-over").bounding_box()
    for _ in range(3):  # each drag keeps 6% of the range: 1,000,000 -> 60,000 -> 3,600 -> ~216 steps
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 30)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.36, box["y"] + 30)
        page.mouse.up()
        page.wait_for_selector("[data-chart][data-zoomed]")
        page.wait_for_timeout(400)
    zoomed = page.locator("[data-chart]").get_attribute("data-zoomed")
    low, high = (float(x) for x in zoomed.split(":"))
    drawn = int(page.locator("[data-chart]").get_attribute("data-points"))
    assert high - low < 5000 and drawn >= int(high) - int(low) - 1  # every step in range: full resolution
    page.screenshot(path=str(shots / "chart-1M-zoomed.png"), full_page=False)
    page.dblclick("[data-chart] .u-over")
    page.wait_for_function("() => !document.querySelector('[data-chart]').hasAttribute('data-zoomed')")
    assert page.errors == []


def test_wide_table_default_columns_and_key_search(page, big, shots):
    page.goto(big["url"] + f"/experiments/{big['wide_exp']}")
    page.wait_for_selector("table#runs")
    print("[timing] runs page, 10,000 keys:", _navigation_ms(page))
    assert "10,00" in page.locator("#key-count").inner_text()
    headers = page.locator("table#runs thead th").all_inner_texts()
    assert "accuracy" in headers[5]  # the most recently logged metric comes first
    assert any("lr" in h for h in headers) and not any(
        h.endswith("model") for h in headers
    )  # varying params only
    page.click("details#columns summary")
    page.fill("#column-search", "param_0424")
    page.wait_for_selector("#column-search[data-found]")
    labels = page.locator("#chooser-params label").all_inner_texts()
    assert any("param_04242" in t for t in labels)
    page.locator("#chooser-params input[value='params.param_04242']").check()
    page.click("#columns-form button:has-text('Apply')")
    page.wait_for_url("**col=params.param_04242**")
    assert any("param_04242" in h for h in page.locator("table#runs thead th").all_inner_texts())
    page.screenshot(path=str(shots / "wide-table.png"), full_page=False)
    assert page.errors == []


def test_editing_and_search(page, big, shots):
    client = big["client"]
    run_id = big["compare_ids"][0]
    page.goto(big["url"] + "/search?find=" + run_id[:9])
    page.wait_for_url(f"**/runs/{run_id}")
    page.answer = "renamed <b>run</b>"
    page.click("[data-edit=rename]")
    page.wait_for_function("() => document.getElementById('run-name').textContent.includes('renamed')")
    page.fill("#tag-form input[name=key]", "team")
    page.fill("#tag-form input[name=value]", "vision")
    page.click("#tag-form button")
    page.wait_for_selector("tr[data-tag=team]")
    page.click("#edit-note")
    page.fill(
        "#note-form textarea", "# Why\nBecause **bold** <script>alert(1)</script> [x](javascript:alert(2))"
    )
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#note-body strong")
    assert page.locator("#note-body script").count() == 0 and page.locator("#note-body a").count() == 0
    assert "<script>alert(1)</script>" in page.locator("#note-body").inner_text()
    page.screenshot(path=str(shots / "run-edited.png"), full_page=False)
    page.click("tr[data-tag=team] [data-edit=untag]")
    page.wait_for_function("() => !document.querySelector('tr[data-tag=team]')")
    run = client.get_run(run_id)
    assert run.info.run_name == "renamed <b>run</b>" and "team" not in run.data.tags
    assert run.data.tags["mlflow.note.content"].startswith("# Why")
    page.click("[data-edit=delete]")
    page.wait_for_selector("[data-edit=restore]")
    assert client.store.get_run(run_id).info.lifecycle_stage == "deleted"
    page.click("[data-edit=restore]")
    page.wait_for_selector("[data-edit=delete]")
    page.goto(big["url"] + "/runs?q=" + "attributes.run_name LIKE 'trial-00%'")
    assert page.locator("table#runs thead th", has_text="Experiment").count() == 1
    assert page.locator("table#runs tbody tr").count() == 9  # trial-001..009 (trial-000 was renamed)
    assert [d for d in page.dialogs if "alert" in d] == [] and page.errors == []


def test_live_run_updates_with_cursors_and_stops(page, big, shots):
    from autolog.entities import Metric

    client = big["client"]
    run = client.create_run(big["long_exp"], run_name="training")
    run_id = run.info.run_id
    client.log_batch(
        run_id, metrics=[Metric("loss", 1.0 / (s + 1), 1_760_000_000_000 + s, s) for s in range(50)]
    )
    stop = threading.Event()

    def train():
        step = 50
        while not stop.is_set() and step < 400:
            client.log_batch(
                run_id,
                metrics=[
                    Metric("loss", 1.0 / (s + 1), 1_760_000_000_000 + s, s) for s in range(step, step + 25)
                ],
            )
            client.store.heartbeat(run_id)
            step += 25
            time.sleep(0.5)

    worker = threading.Thread(target=train)
    worker.start()
    try:
        page.goto(big["url"] + f"/runs/{run_id}")
        page.wait_for_selector("[data-chart][data-drawn]")
        first = int(page.locator("[data-chart]").get_attribute("data-points"))
        page.wait_for_function(
            "() => Number(document.body.getAttribute('data-live-polls') || 0) >= 2", timeout=20000
        )
        page.wait_for_function(
            f"() => Number(document.querySelector('[data-chart]').getAttribute('data-points')) > {first}"
        )
        page.screenshot(path=str(shots / "live-run.png"), full_page=False)
        live = _requests(page, "/live?")
        assert live and all("cursor=" in u and "cursor=&" not in u for u in live)  # never a whole history
        page.goto(big["url"] + f"/experiments/{big['long_exp']}")
        page.wait_for_function(
            "() => Number(document.body.getAttribute('data-live-polls') || 0) >= 1", timeout=20000
        )
        page.screenshot(path=str(shots / "live-table.png"), full_page=False)
    finally:
        stop.set()
        worker.join()
    client.set_terminated(run_id)
    page.wait_for_selector("body[data-live-stopped]", timeout=20000)
    assert page.locator(f"tr[data-run-id='{run_id}']").get_attribute("data-status") == "FINISHED"
    assert page.errors == []
