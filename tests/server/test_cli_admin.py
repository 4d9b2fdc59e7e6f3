"""``autolog server token create|revoke`` and ``permission set`` (in-process CLI, SQLite store)."""

from __future__ import annotations

import pytest

from autolog.cli import main
from autolog.store import _server_auth as auth
from autolog.store import open_store


def test_token_create_revoke_and_permission_set(tmp_path, capsys):
    uri = str(tmp_path / "store")
    assert main(["server", "token", "create", "--user", "alice", "--backend-store-uri", uri]) == 0
    token = capsys.readouterr().out.strip()
    store = open_store(uri)
    assert auth.authenticate(store, token, kind="api") == ("alice", False)
    experiment = store.create_experiment("A")
    assert (
        main(
            [
                "server",
                "permission",
                "set",
                "--user",
                "alice",
                "--experiment",
                experiment,
                "--level",
                "edit",
                "--backend-store-uri",
                uri,
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "alice has EDIT on experiment '1'\n"
    assert auth.permission(store, "experiment", experiment, "alice") == auth.EDIT
    assert main(["server", "token", "revoke", "--user", "alice", "--backend-store-uri", uri]) == 0
    assert auth.authenticate(store, token, kind="api") is None
    store.close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["server", "token", "create"], "token create needs --user NAME"),
        (["server", "token", "delete", "--user", "x"], "unknown server action 'token delete'"),
        (
            ["server", "permission", "set", "--user", "x", "--level", "READ"],
            "one of --experiment ID or --model NAME",
        ),
        (
            ["server", "permission", "set", "--user", "x", "--experiment", "0", "--level", "ALL"],
            "invalid permission 'ALL'",
        ),
    ],
)
def test_admin_actions_refuse_bad_input(tmp_path, capsys, argv, message):
    assert main([*argv, "--backend-store-uri", str(tmp_path / "store")]) == 1
    assert message in capsys.readouterr().err
