"""Autolog only. ``case="runs_page"``: the UI's runs page at N runs (the search fixture), rendered
in process through Starlette's test client: the default page (newest first) and a filtered page
sorted by a metric. ``case="browser"``: the issue-16 targets in Chromium against `autolog ui` as a
real process (see ``workloads.ui_browser``): compare 200 runs x 20 metrics x 1,000 steps, a
1,000,000-step chart, a runs page with 10,000 distinct keys."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from workloads._common import check, ms_since, now
from workloads.search import FILTER


def autolog_side(fixture_dir: str = "", k: int = 5, case: str = "runs_page") -> dict:
    if case == "browser":
        from workloads.ui_browser import measure

        return measure(k)
    from starlette.testclient import TestClient

    from autolog.ui._app import create_app

    store = os.path.join(fixture_dir, "autolog-runs")
    check(
        os.path.exists(os.path.join(fixture_dir, "ready.json")),
        f"no search fixture at {fixture_dir}: run the search workload first",
    )
    client = TestClient(create_app(store, allowed_hosts=["testserver"]))
    urls = {
        "default": "/experiments/0",
        "filtered": "/experiments/0?" + urlencode({"q": FILTER, "sort": "metrics.m1"}),
    }
    samples = {}
    for name, url in urls.items():
        first = client.get(url)  # warm-up: templates, store, caches
        check(first.status_code == 200, f"autolog UI {url}: HTTP {first.status_code}")
        check("m1" in first.text, f"autolog UI {url}: no metric column in the page")
        times = []
        for _ in range(k):
            t0 = now()
            resp = client.get(url)
            times.append(ms_since(t0))
            check(resp.status_code == 200, f"autolog UI {url}: HTTP {resp.status_code}")
        samples[f"{name}_page_ms"] = times
    return {"samples": samples, "checks": {"bytes": len(first.text)}}
