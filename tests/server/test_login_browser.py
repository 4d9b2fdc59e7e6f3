"""Browser test of the server's login and of pages with a restricted experiment (Chromium via
Playwright against a real server: uvicorn in a thread, over SQLite, tokens on)."""

from __future__ import annotations

import pytest

from tests.server.conftest import AuthServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = AuthServer(tmp_path_factory.mktemp("login"))
    admin = server.store_for("admin")
    public = admin.create_experiment("public-exp")
    secret = admin.create_experiment("secret-exp")
    public_run = admin.create_run(public, run_name="visible-run").info.run_id
    secret_run = admin.create_run(secret, run_name="hidden-run").info.run_id
    admin._call(
        "POST",
        "/permissions",
        {"kind": "experiment", "resource_id": secret, "user": "alice", "level": "NONE"},
    )
    yield server, {"public": public, "secret": secret, "public_run": public_run, "secret_run": secret_run}
    server.server.stop()


def test_login_then_only_permitted_pages(browser, world):
    server, ids = world
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + f"/runs/{ids['public_run']}")
    assert "/login" in page.url  # not signed in: sent to the form, remembering where to go

    wrong = "alt_wrong-token-value-that-does-not-exist"
    page.fill("#token", wrong)
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "That token is not valid."
    assert wrong not in page.content()

    page.fill("#token", server.tokens["alice"])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/runs/{ids['public_run']}")
    assert "visible-run" in page.content()
    assert server.tokens["alice"] not in page.content()
    [cookie] = context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("autolog_session", True, "Strict")
    assert cookie["value"] != server.tokens["alice"]

    page.goto(server.url + "/")
    assert "public-exp" in page.content() and "secret-exp" not in page.content()
    for path in (f"/experiments/{ids['secret']}", f"/runs/{ids['secret_run']}"):
        response = page.goto(server.url + path)
        assert response.status == 403, path
        assert "hidden-run" not in page.content()

    page.evaluate("document.cookie")  # HttpOnly: scripts cannot read the session
    assert "autolog_session" not in page.evaluate("document.cookie")
    context.close()


def test_admin_sees_the_restricted_experiment(browser, world):
    server, ids = world
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#token", server.tokens["admin"])
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    assert "secret-exp" in page.content()
    assert page.goto(server.url + f"/runs/{ids['secret_run']}").status == 200
    context.close()
