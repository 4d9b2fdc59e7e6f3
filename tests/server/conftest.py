"""A tracking server with tokens, served by uvicorn in a thread over a SQLite store."""

from __future__ import annotations

import pytest

from autolog.store import _server_auth as auth
from autolog.store import open_store


class AuthServer:
    """The server plus one token per user: ``admin`` and ``alice``, ``bob``, ``carol``."""

    def __init__(self, directory):
        from tests._tracking_server import ThreadServer

        self.uri = str(directory / "store")
        store = open_store(self.uri)
        self.tokens = {"admin": auth.create_token(store, "admin", admin=True)}
        for user in ("alice", "bob", "carol"):
            self.tokens[user] = auth.create_token(store, user)
        store.close()
        self.server = ThreadServer(self.uri)
        self.url = self.server.url

    def store_for(self, user: str | None):
        from autolog.store._http import HttpStore

        return HttpStore(self.url, self.tokens.get(user), background_logging=False)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    server = AuthServer(tmp_path_factory.mktemp("auth-server"))
    yield server
    server.server.stop()
