"""The permission matrix: every store call over HTTP x the caller's level (NONE/READ/EDIT/MANAGE).

A real server (uvicorn, in a thread) over SQLite; the caller is ``alice`` with an explicit grant of
each level on a fresh experiment and registered model made by the admin; the default permission
(READ) applies to users without a grant (``carol``).
"""

from __future__ import annotations

import itertools
import urllib.error
import urllib.request

import pytest

from autolog.entities import Metric
from autolog.store._http import AccessDeniedError

READ, EDIT, MANAGE = "READ", "EDIT", "MANAGE"
LEVELS = ["NONE", READ, EDIT, MANAGE]
RANK = {name: rank for rank, name in enumerate(LEVELS)}
_counter = itertools.count()


class World:
    """A fresh experiment (with a finished run holding a metric and an artifact) and a model."""

    def __init__(self, server, user: str, level: str):
        admin = server.store_for("admin")
        number = next(_counter)
        self.experiment_id = admin.create_experiment(f"exp-{user}-{level}-{number}")
        self.run_id = admin.create_run(self.experiment_id).info.run_id
        admin.log_batch(self.run_id, metrics=[Metric("loss", 0.5, 1, 0)], tags={"t": "v"})
        admin.artifacts(self.run_id).write_bytes("model/MLmodel", b"flavor: sklearn\n")
        admin.artifacts(self.run_id).write_bytes("notes.txt", b"hi")
        self.model = f"model-{user}-{level}-{number}"
        admin.create_model_version(self.model, run_id=self.run_id, artifact_path="model")
        admin.set_registered_model_alias(self.model, "prod", 1)
        if level is not None:
            admin._call(
                "POST",
                "/permissions",
                {"kind": "experiment", "resource_id": self.experiment_id, "user": user, "level": level},
            )
            admin._call(
                "POST",
                "/permissions",
                {"kind": "registered_model", "resource_id": self.model, "user": user, "level": level},
            )


def _bundle(store, world: World, files: list, records: list):
    """``POST .../artifacts/bundle``: files and model records of a background upload."""
    from autolog.store._http import _codec

    body = _codec.dumps_bundle(files, records)
    return store.transport.call("POST", f"/runs/{world.run_id}/artifacts/bundle", raw_body=body)


def _record() -> dict:
    import dataclasses

    from autolog._core._entities import ModelRecord

    return dataclasses.asdict(ModelRecord("sklearn", "pickle", "model.pkl", "0" * 64, 1))


# (name, needed level, call(store, world))
OPERATIONS = [
    ("get_experiment", READ, lambda s, w: s.get_experiment(w.experiment_id)),
    ("get_run", READ, lambda s, w: s.get_run(w.run_id)),
    ("search_runs", READ, lambda s, w: s.search_runs([w.experiment_id])),
    ("count_runs", READ, lambda s, w: s.count_runs([w.experiment_id])),
    ("get_metric_history", READ, lambda s, w: s.get_metric_history(w.run_id, "loss")),
    ("list_artifacts", READ, lambda s, w: s.artifacts(w.run_id).list_artifacts()),
    ("download_artifact", READ, lambda s, w: s.artifacts(w.run_id).download_artifacts("notes.txt")),
    ("get_registered_model", READ, lambda s, w: s.get_registered_model(w.model)),
    ("get_model_version", READ, lambda s, w: s.get_model_version(w.model, 1)),
    ("get_latest_model_version", READ, lambda s, w: s.get_latest_model_version(w.model)),
    ("get_model_version_by_alias", READ, lambda s, w: s.get_model_version_by_alias(w.model, "prod")),
    ("set_experiment_tag", EDIT, lambda s, w: s.set_experiment_tag(w.experiment_id, "k", "v")),
    ("create_run", EDIT, lambda s, w: s.create_run(w.experiment_id)),
    ("create_finished_run", EDIT, lambda s, w: s.create_finished_run(w.experiment_id, metrics={"m": 1.0})),
    ("update_run", EDIT, lambda s, w: s.update_run(w.run_id, run_name="renamed")),
    ("finish_run", EDIT, lambda s, w: s.finish_run(w.run_id)),
    ("log_metric", EDIT, lambda s, w: s.log_metric(w.run_id, "m", 1.0)),
    ("log_param", EDIT, lambda s, w: s.log_param(w.run_id, "p", 1)),
    ("set_tag", EDIT, lambda s, w: s.set_tag(w.run_id, "k", "v")),
    ("log_batch", EDIT, lambda s, w: s.log_batch(w.run_id, metrics={"m": 2.0})),
    ("delete_tag", EDIT, lambda s, w: s.delete_tag(w.run_id, "t")),
    ("delete_run", EDIT, lambda s, w: s.delete_run(w.run_id, force=True)),
    ("heartbeat", EDIT, lambda s, w: s.heartbeat([w.run_id])),
    ("upload_artifact", EDIT, lambda s, w: s.artifacts(w.run_id).write_bytes("new.txt", b"x")),
    ("upload_bundle", EDIT, lambda s, w: _bundle(s, w, [("a/b.txt", b"x")], [])),
    ("record_model_in_bundle", EDIT, lambda s, w: _bundle(s, w, [], [["model", _record()]])),
    ("update_registered_model", EDIT, lambda s, w: s.update_registered_model(w.model, "d")),
    ("set_registered_model_tag", EDIT, lambda s, w: s.set_registered_model_tag(w.model, "k", "v")),
    ("set_registered_model_alias", EDIT, lambda s, w: s.set_registered_model_alias(w.model, "a", 1)),
    (
        "create_model_version",
        EDIT,
        lambda s, w: s.create_model_version(w.model, run_id=w.run_id, artifact_path="model"),
    ),
    ("update_model_version", EDIT, lambda s, w: s.update_model_version(w.model, 1, "d")),
    ("set_model_version_tag", EDIT, lambda s, w: s.set_model_version_tag(w.model, 1, "k", "v")),
    ("rename_experiment", MANAGE, lambda s, w: s.rename_experiment(w.experiment_id, f"renamed-{w.model}")),
    ("delete_experiment", MANAGE, lambda s, w: s.delete_experiment(w.experiment_id)),
    (
        "grant_permission",
        MANAGE,
        lambda s, w: s._call(
            "POST",
            "/permissions",
            {"kind": "experiment", "resource_id": w.experiment_id, "user": "bob", "level": "EDIT"},
        ),
    ),
    ("rename_registered_model", MANAGE, lambda s, w: s.rename_registered_model(w.model, w.model + "-new")),
    ("delete_model_version", MANAGE, lambda s, w: s.delete_model_version(w.model, 1)),
    ("delete_registered_model", MANAGE, lambda s, w: s.delete_registered_model(w.model)),
]


# Calls after which the experiment, run or model cannot serve the next call: a fresh world each.
DESTRUCTIVE = {
    "delete_run",
    "rename_experiment",
    "delete_experiment",
    "rename_registered_model",
    "delete_model_version",
    "delete_registered_model",
}
_shared_worlds: dict = {}


def _world(server, name: str, level: str) -> World:
    if name in DESTRUCTIVE:
        return World(server, "alice", level)
    if level not in _shared_worlds:
        _shared_worlds[level] = World(server, "alice", level)
    return _shared_worlds[level]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_every_call_at_every_level(auth_server, operation, level):
    name, needed, call = operation
    world = _world(auth_server, name, level)
    alice = auth_server.store_for("alice")
    if RANK[level] >= RANK[needed]:
        call(alice, world)
    else:
        # With NONE, a call that first reads the run (artifacts) is refused at READ already.
        with pytest.raises(AccessDeniedError, match=f"needs (READ|{needed})"):
            call(alice, world)


def test_default_permission_is_read_for_users_without_a_grant(auth_server):
    world = World(auth_server, "carol", None)
    carol = auth_server.store_for("carol")
    assert carol.get_run(world.run_id).info.run_id == world.run_id
    with pytest.raises(AccessDeniedError, match="needs EDIT"):
        carol.log_metric(world.run_id, "m", 1.0)


def test_searches_hide_what_the_caller_cannot_read(auth_server):
    hidden = World(auth_server, "bob", "NONE")
    visible = World(auth_server, "bob", "READ")
    bob = auth_server.store_for("bob")
    names = {e.experiment_id for e in bob.search_experiments()}
    assert visible.experiment_id in names and hidden.experiment_id not in names
    models = {m.name for m in bob.search_registered_models()}
    assert visible.model in models and hidden.model not in models
    assert [v.name for v in bob.search_model_versions(run_ids=[hidden.run_id])] == []


def test_creators_manage_what_they_create_and_only_admins_purge(auth_server):
    alice = auth_server.store_for("alice")
    experiment_id = alice.create_experiment("alice-own")
    run_id = alice.create_run(experiment_id).info.run_id
    alice.rename_experiment(experiment_id, "alice-own-renamed")
    alice.delete_run(run_id)
    with pytest.raises(AccessDeniedError, match="not an admin"):
        alice.purge_deleted_runs([run_id])
    assert auth_server.store_for("admin").purge_deleted_runs([run_id]) == [run_id]
    whoami = alice.whoami()
    assert (whoami["user"], whoami["is_admin"], whoami["default_permission"]) == ("alice", False, "READ")


def test_no_or_a_wrong_token_is_refused_and_never_echoed(auth_server):
    anonymous = auth_server.store_for(None)
    with pytest.raises(AccessDeniedError, match="authentication required"):
        anonymous.search_experiments()
    wrong = "alt_" + "x" * 43
    from autolog.store._http import HttpStore

    store = HttpStore(auth_server.url, wrong, background_logging=False)
    with pytest.raises(AccessDeniedError) as caught:
        store.get_experiment("0")
    assert wrong not in str(caught.value) and wrong not in repr(store) and wrong not in repr(store.transport)
    for path in ("/", "/experiments/0", "/models"):  # pages redirect to the login form
        request = urllib.request.Request(auth_server.url + path)
        with urllib.request.urlopen(request) as response:
            assert response.url.startswith(auth_server.url + "/login")
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_tokens_are_stored_only_as_hashes(auth_server):
    import sqlalchemy as sa

    engine = sa.create_engine("sqlite:///" + auth_server.uri + "/autolog.db")
    with engine.connect() as connection:
        stored = [row[0] for row in connection.exec_driver_sql("SELECT token_hash FROM server_tokens")]
    engine.dispose()
    for token in auth_server.tokens.values():
        assert token not in stored
    from autolog.store._server_auth import token_hash

    assert token_hash(auth_server.tokens["alice"]) in stored
