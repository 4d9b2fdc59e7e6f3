"""The UI as a real `autolog ui` process, attacked over raw HTTP and in the real browser.

tests/ui/test_security.py checks the app in-process (TestClient normalises some requests); here the
bytes go over a socket to the server users run, so the HTTP parser and router are in the loop.
"""

from __future__ import annotations

import os
import socket
import urllib.parse

import pytest

from tests.ui._server import UiProcess

SECRET = "TOP-SECRET-OUTSIDE-THE-STORE"
MARK = "window.__xss"
PAYLOADS = {
    "script": f"<script>{MARK}=1</script>",
    "img": f'<img src=x onerror="{MARK}=2">',
    "attr": f"\"'><svg onload={MARK}=3>",
    "js-url": f"javascript:{MARK}=4",
}
XSS = "".join(PAYLOADS.values())
ARTIFACT_NAME = f"<img src=x onerror={MARK}=5>.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A store with XSS everywhere, a secret file beside it and a symlink to it; `autolog ui` on it."""
    from autolog import Client

    root = tmp_path_factory.mktemp("attacks")
    secret = root / "secret.txt"
    secret.write_text(SECRET)
    store = str(root / "store")
    client = Client(store)
    experiment_id = client.create_experiment("exp " + XSS)
    run_ids = []
    for number in range(2):
        run = client.create_run(
            experiment_id,
            run_name=f"{number} {XSS}",
            params={"payload": XSS, "n": str(number)},
            tags={"payload": XSS, "note": PAYLOADS["js-url"]},
        )
        run_id = run.info.run_id
        client.log_metric(run_id, "loss", 1.0 / (number + 1))
        client.log_text(run_id, XSS, ARTIFACT_NAME)
        client.log_text(run_id, "fine", "notes/readme.txt")
        local = client.store.artifacts(run_id).local_path("")
        os.symlink(secret, os.path.join(local, "escape.txt"))
        os.symlink(root, os.path.join(local, "escape-dir"))
        client.set_terminated(run_id)
        run_ids.append(run_id)
    server = UiProcess(store)
    server.run_ids, server.experiment_id, server.client = run_ids, experiment_id, client
    yield server
    server.stop()


def _raw(site, target: str, *, method="GET", headers=None, body=b"") -> tuple[int, str]:
    """Send exactly ``target`` (no client-side normalisation); return (status, whole response)."""
    url = urllib.parse.urlsplit(site.url)
    head = {"Host": url.netloc, "Connection": "close", "Content-Length": str(len(body)), **(headers or {})}
    request = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=20) as connection:
        connection.sendall(request.encode("latin-1") + body)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks).decode("utf-8", "replace")
    return int(response.split(" ", 2)[1]), response


TRAVERSALS = [
    "../../../secret.txt",
    "..%2f..%2f..%2fsecret.txt",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
    "%252e%252e%252f%252e%252e%252f%252e%252e%252fsecret.txt",
    "..\\..\\..\\secret.txt",
    "..%5c..%5c..%5csecret.txt",
    "notes/..;/..;/..;/secret.txt",
    "..;/..;/..;/secret.txt",
    "notes;/../../../../secret.txt",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "escape.txt",
    "escape-dir/secret.txt",
    "escape-dir",
    "notes/%00../../secret.txt",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "notes/./../../../secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize(
    "endpoint",
    [
        "/runs/{run}/artifacts/download",
        "/runs/{run}/artifacts",
        "/runs/{run}/artifacts/image",
        "/api/runs/{run}/artifacts",
    ],
)
def test_traversal_over_the_wire_serves_nothing_outside(site, endpoint, path):
    """Promise: encoded, double-encoded, backslash, ';', absolute and symlink paths never serve outside the store."""
    status, response = _raw(site, endpoint.format(run=site.run_ids[0]) + "?path=" + path)
    assert SECRET not in response and "root:x:0:0" not in response
    assert status in (400, 403, 404), response[:300]


@pytest.mark.parametrize(
    "target",
    [
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/..;/..;/..;/etc/passwd",
        "/static/..\\..\\..\\etc\\passwd",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "//etc/passwd",
        "/runs/../../../../etc/passwd",
    ],
)
def test_traversal_through_the_url_path(site, target):
    """Promise: the URL path itself (static files, routes) cannot reach files outside the UI."""
    status, response = _raw(site, target)
    assert "root:x:0:0" not in response and status in (400, 403, 404), response[:300]


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:80", ""])
def test_foreign_host_refused_by_the_real_server(site, host):
    """Promise: a Host other than the bound loopback name (DNS rebinding) is refused on the real server."""
    status, response = _raw(site, "/api/experiments", headers={"Host": host})
    assert status in (400, 403, 421), response[:300]
    assert "exp " not in response


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_cross_origin_text_plain_post_changes_nothing(site, action):
    """Promise: a cross-site 'simple' POST (text/plain, no token), as a hostile page can send, changes nothing."""
    run_id = site.run_ids[1]
    before = site.client.get_run(run_id)
    body = b'{"name": "pwned"}'
    for headers in (
        {"Origin": "http://evil.example", "Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "text/plain"},  # an old browser sending no Origin at all
        {"Origin": "null", "Content-Type": "text/plain;charset=UTF-8"},
    ):
        status, _ = _raw(site, f"/api/runs/{run_id}/{action}", method="POST", headers=headers, body=body)
        assert status in (400, 403, 415)
    after = site.client.get_run(run_id)
    assert (after.info.run_name, after.info.lifecycle_stage) == (
        before.info.run_name,
        before.info.lifecycle_stage,
    )


# --- the real browser --------------------------------------------------------------------------


def _pages(site) -> list[str]:
    a, b = site.run_ids
    return [
        "/",
        f"/experiments/{site.experiment_id}",
        f"/experiments/{site.experiment_id}?columns=tags.payload",
        f"/runs/{a}",
        f"/runs/{a}/artifacts",
        f"/runs/{a}/artifacts?path=" + urllib.parse.quote(ARTIFACT_NAME),
        f"/compare?run={a}&run={b}",
        f"/diff?a={a}&b={b}",
    ]


def test_xss_payloads_are_inert_in_the_browser(site, browser):
    """Promise: XSS in a param, tag, run name, experiment name and artifact name runs no script on any page
    (no dialog, no global set, no injected element) and shows as text."""
    context = browser.new_context()
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    seen_text = set()
    try:
        for path in _pages(site):
            response = page.goto(site.url + path)
            assert response.status == 200, (path, response.status)
            page.wait_for_timeout(150)
            assert page.evaluate(f"typeof {MARK}") == "undefined", path
            assert (
                page.evaluate("document.querySelectorAll('img[src=\"x\"], svg[onload], [onerror]').length")
                == 0
            ), path
            assert (
                page.evaluate(
                    "[...document.querySelectorAll('[href], [src], [action]')].filter(e => ['href', 'src', 'action']"
                    ".some(n => (e.getAttribute(n) || '').trim().toLowerCase().startsWith('javascript:'))).length"
                )
                == 0
            ), path
            body = page.inner_text("body")
            seen_text |= {name for name, payload in PAYLOADS.items() if payload in body}
            if ARTIFACT_NAME in body:
                seen_text.add("artifact name")
    finally:
        context.close()
    assert dialogs == [] and errors == []
    assert seen_text >= {"script", "img", "attr", "artifact name"}, seen_text
