"""BRIEF section 4 for the UI: confinement, Host/Origin, CSRF, escaping, headers, safe downloads."""

from __future__ import annotations

import os

import pytest

from tests.ui.conftest import ARTIFACT_XSS_NAME

TRAVERSALS = [
    "../../../../etc/passwd",
    "notes/../../x",
    "..",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",  # arrives as literal percent-encoding after one decode
    "%252e%252e%252fetc%252fpasswd",  # double-encoded
    "..%2f..%2fetc%2fpasswd",
    "..\\..\\etc\\passwd",
    "notes\\..\\..\\x",
    "/etc/passwd",
    "C:/Windows/win.ini",
    "notes/readme.txt\x00.png",
    "%00",
]
ARTIFACT_ENDPOINTS = [
    "/runs/{run}/artifacts",
    "/runs/{run}/artifacts/download",
    "/runs/{run}/artifacts/image",
    "/api/runs/{run}/artifacts",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("endpoint", ARTIFACT_ENDPOINTS)
def test_traversal_variants_are_refused(http, populated, endpoint, path):
    response = http.get(endpoint.format(run=populated.run_ids[0]), params={"path": path})
    assert response.status_code == 400, response.text
    assert "root:" not in response.text


def test_encoded_traversal_in_the_raw_query_string(http, populated):
    base = f"/runs/{populated.run_ids[0]}/artifacts/download?path="
    for raw in ("%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%252e%252e%252f", "..%5c..%5cx", "%2fetc%2fpasswd"):
        assert http.get(base + raw).status_code == 400


def test_symlink_leading_outside_is_refused(http, populated, tmp_path):
    from autolog import Client

    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    root = Client(populated.uri).store.artifacts(populated.run_ids[1]).local_path("")
    link = os.path.join(root, "escape.txt")
    dir_link = os.path.join(root, "escape-dir")
    os.symlink(secret, link)
    os.symlink(tmp_path, dir_link)
    try:
        for path in ("escape.txt", "escape-dir/secret.txt", "escape-dir"):
            for endpoint in ARTIFACT_ENDPOINTS:
                response = http.get(endpoint.format(run=populated.run_ids[1]), params={"path": path})
                assert response.status_code == 400, (endpoint, path)
                assert "top secret" not in response.text
        listing = http.get(f"/api/runs/{populated.run_ids[1]}/artifacts").json()["files"]
        assert "escape.txt" not in {f["path"] for f in listing}
    finally:
        os.unlink(link)
        os.unlink(dir_link)


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:5000", "127.0.0.1.nip.io:5000", "attacker.localhost"]
)
def test_foreign_host_header_is_refused(http, host):
    response = http.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert "Host" in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "localhost"])
def test_loopback_host_headers_are_accepted(http, host):
    assert http.get("/", headers={"Host": host}).status_code == 200


def test_cross_origin_requests_are_refused(http, populated):
    evil = {"Origin": "http://evil.example"}
    assert http.get("/api/experiments", headers=evil).status_code == 403
    write = http.post(
        f"/api/runs/{populated.run_ids[0]}/rename",
        json={"name": "pwned"},
        headers={**evil, "X-CSRF-Token": "test-token"},
    )
    assert write.status_code == 403
    same = http.get("/api/experiments", headers={"Origin": "http://127.0.0.1:5000"})
    assert same.status_code == 200


def test_writes_need_json_and_the_csrf_token(http, populated):
    url = f"/api/runs/{populated.run_ids[0]}/rename"
    assert http.post(url, json={"name": "x"}).status_code == 403  # no token
    assert http.post(url, json={"name": "x"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    form = http.post(url, data={"name": "x"}, headers={"X-CSRF-Token": "test-token"})
    assert form.status_code == 415  # a cross-site <form> cannot send JSON
    text = http.post(
        url, content='{"name": "x"}', headers={"X-CSRF-Token": "test-token", "Content-Type": "text/plain"}
    )
    assert text.status_code == 415
    cross_site = http.post(
        url, json={"name": "x"}, headers={"X-CSRF-Token": "test-token", "Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    assert http.get(f"/api/runs/{populated.run_ids[0]}").json()["info"]["run_name"] == "lr-0"


def test_reads_cannot_write(http, populated):
    assert http.get(f"/api/runs/{populated.run_ids[0]}/delete").status_code in (404, 405)


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert" in html or "&lt;img src=x onerror" in html


def test_xss_payloads_are_rendered_as_text(http, populated):
    run_id = populated.xss_run_id
    for url in (
        f"/runs/{run_id}",
        f"/experiments/{populated.experiment_id}",
        f"/compare?run={run_id}&run={populated.run_ids[0]}",
        f"/diff?a={run_id}&b={populated.run_ids[0]}",
        f"/runs/{run_id}/artifacts",
    ):
        _assert_inert(http.get(url).text)
    preview = http.get(f"/runs/{run_id}/artifacts", params={"path": ARTIFACT_XSS_NAME}).text
    _assert_inert(preview)
    html_preview = http.get(f"/runs/{run_id}/artifacts", params={"path": "page.html"}).text
    assert "<script>alert(1)</script>" not in html_preview


def test_json_api_escapes_markup(http, populated):
    raw = http.get(f"/api/runs/{populated.xss_run_id}").content
    assert b"<script>" not in raw and b"\\u003cscript\\u003e" in raw


def test_security_headers_on_every_response(http, populated):
    for url in ("/", f"/runs/{populated.run_ids[0]}", "/api/experiments", "/static/app.css", "/nope"):
        headers = http.get(url).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_scripts(http, populated):
    import re

    for url in (
        "/",
        f"/experiments/{populated.experiment_id}",
        f"/runs/{populated.run_ids[0]}",
        f"/compare?run={populated.run_ids[0]}&run={populated.run_ids[1]}",
    ):
        for tag in re.findall(r"<script[^>]*>", http.get(url).text):
            assert "src=" in tag, tag


@pytest.mark.parametrize("name", ["page.html", "drawing.svg", ARTIFACT_XSS_NAME])
def test_downloads_are_attachments_with_inert_types(http, populated, name):
    response = http.get(f"/runs/{populated.xss_run_id}/artifacts/download", params={"path": name})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["content-type"].split(";")[0] in ("application/octet-stream", "text/plain")
    assert "sandbox" in response.headers["content-security-policy"]


def test_image_endpoint_serves_only_raster_images(http, populated):
    ok = http.get(f"/runs/{populated.xss_run_id}/artifacts/image", params={"path": "plot.png"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    svg = http.get(f"/runs/{populated.xss_run_id}/artifacts/image", params={"path": "drawing.svg"})
    assert svg.status_code == 415


def test_default_bind_is_loopback_and_others_warn(capsys):
    from autolog.ui._server import DEFAULT_HOST, is_loopback

    assert DEFAULT_HOST == "127.0.0.1" and is_loopback(DEFAULT_HOST)
    assert not is_loopback("0.0.0.0")


def test_ui_never_imports_model_loading():
    import subprocess
    import sys

    code = (
        "import sys, autolog.ui, autolog.ui._app, autolog.ui._pages, autolog.ui._api;"
        "print([m for m in sys.modules if m.startswith('autolog.models')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
