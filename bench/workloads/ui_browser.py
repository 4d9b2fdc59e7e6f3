"""The UI in Chromium (Playwright, /usr/bin/chromium) against `autolog ui` as a real process.

Stores are written once per call through ``log_batch`` (4,000,000 + 1,000,000 metric rows take
about a minute). Every number is read from the browser's Performance API:

- ``compare_interactive_ms``: /compare with 200 runs (20 metrics x 1,000 steps each), navigation
  start to DOMContentLoaded (the page is usable: table, parallel coordinates, scatter).
- ``compare_first_charts_ms``: navigation start until the charts in view (the first 4, one
  request each for all 200 runs) are drawn. ``compare_all_charts_ms``: all 20, scrolled into view.
- ``chart_1m_cold_ms`` / ``chart_1m_warm_ms``: a 1,000,000-step metric's chart, from its request
  to drawn (first view after the server started: the envelope is built; then a reload).
- ``chart_1m_zoom_ms``: a drag-zoom re-fetch and redraw. ``wide_page_ms``: the runs page of an
  experiment with 10,000 distinct param and metric keys, navigation start to load event.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

T0 = 1_760_000_000_000
BATCH = 50_000
CHROMIUM = os.environ.get("AUTOLOG_CHROMIUM", "/usr/bin/chromium")


def _fill(store: str) -> dict:
    from autolog import Client
    from autolog.entities import Metric

    client = Client(store)
    ids = {"compare": [], "wide": None}
    compare = client.create_experiment("compare-200")
    for i in range(200):
        run = client.create_run(
            compare,
            run_name=f"trial-{i:03d}",
            params={"lr": str(0.001 * (1 + i % 10)), "depth": str(2 + i % 5)},
        )
        rows = [
            Metric(f"m{k:02d}", math.exp(-s / (100 + 3 * i + 11 * k)) + 0.01 * ((s + i) % 7), T0 + s, s)
            for k in range(20)
            for s in range(1000)
        ]
        for start in range(0, len(rows), BATCH):
            client.log_batch(run.info.run_id, metrics=rows[start : start + BATCH])
        client.set_terminated(run.info.run_id)
        ids["compare"].append(run.info.run_id)
    long = client.create_run(client.create_experiment("long"), run_name="long")
    for start in range(0, 1_000_000, BATCH):
        client.log_batch(
            long.info.run_id,
            metrics=[
                Metric("loss", 2 * math.exp(-5e-6 * s) + 0.05 * math.sin(s / 50), T0 + s, s)
                for s in range(start, start + BATCH)
            ],
        )
    client.set_terminated(long.info.run_id)
    ids["long"] = long.info.run_id
    wide = client.create_experiment("wide")
    for i in range(100):
        run = client.create_run(wide, run_name=f"wide-{i:03d}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(f"metric_{i * 50 + j:05d}", float(j), T0 + j, 0) for j in range(50)],
            params=[(f"param_{i * 50 + j:05d}", str(j)) for j in range(50)],
        )
        client.set_terminated(run.info.run_id)
    ids["wide"] = wide
    return ids


def _serve(store: str):
    process = subprocess.Popen(
        [sys.executable, "-m", "autolog.cli", "--store", store, "ui", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(200):
        match = re.search(r"Serving at (http://\S+)", process.stdout.readline())
        if match:
            return process, match.group(1)
    process.kill()
    raise RuntimeError("autolog ui did not start")


def _nav(page) -> dict:
    return page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")


def _compare(page, url: str, ids: list) -> dict:
    page.goto(url + "/compare?" + "&".join(f"run={r}" for r in ids))
    page.wait_for_function(
        "() => document.querySelectorAll('[data-chart][data-drawn]').length >= 4", timeout=120000
    )
    first = page.evaluate("() => Math.max(...performance.getEntriesByType('mark').map(m => m.startTime))")
    nav = _nav(page)
    page.evaluate("() => document.getElementById('histories').scrollIntoView()")
    started = time.perf_counter()
    for _ in range(12):
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(100)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-chart][data-drawn]').length === 20", timeout=120000
    )
    requests = page.evaluate(
        "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/metrics/histories')).length"
    )
    assert requests == 20, requests
    return {
        "compare_interactive_ms": nav["dom"],
        "compare_first_charts_ms": first,
        "compare_all_charts_ms": first + (time.perf_counter() - started) * 1000,
    }


def _chart(page, url: str, run_id: str) -> dict:
    out = {}
    for name in ("chart_1m_cold_ms", "chart_1m_warm_ms"):
        page.goto(url + f"/runs/{run_id}")
        chart = page.locator("[data-chart][data-drawn]")
        chart.wait_for(timeout=120000)
        out[name] = float(chart.get_attribute("data-render-ms"))
        out[name.replace("_ms", "_page_ms")] = page.evaluate(
            "() => performance.getEntriesByType('mark')[0].startTime"
        )
    box = page.locator("[data-chart] .u-over").bounding_box()
    started = time.perf_counter()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 30)
    page.mouse.up()
    page.wait_for_selector("[data-chart][data-zoomed]", timeout=60000)
    out["chart_1m_zoom_ms"] = (time.perf_counter() - started) * 1000 - 150  # minus the debounce
    return out


def measure(k: int) -> dict:
    from playwright.sync_api import sync_playwright

    scratch = tempfile.mkdtemp(prefix="autolog-bench-ui-")
    store = os.path.join(scratch, "store")
    started = time.perf_counter()
    ids = _fill(store)
    fill_s = time.perf_counter() - started
    samples: dict = {}
    process, url = _serve(store)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
            )
            for _ in range(k):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                for key, value in _chart(page, url, ids["long"]).items():
                    samples.setdefault(key, []).append(value)
                for key, value in _compare(page, url, ids["compare"]).items():
                    samples.setdefault(key, []).append(value)
                page.goto(url + f"/experiments/{ids['wide']}")
                samples.setdefault("wide_page_ms", []).append(_nav(page)["load"])
                page.close()
                process.send_signal(signal.SIGINT)  # a fresh server: the next chart is cold again
                process.wait(timeout=30)
                process, url = _serve(store)
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    return {"samples": samples, "checks": {"fill_s": round(fill_s, 1)}}
