"""Finding 1: the artifact files alone can no longer choose the loader.

The attack: someone who can write a run's artifact files (not the database) replaces a skops
model with a pickle and rewrites ``autolog-model.json`` to ``"serialization_format": "pickle"``
with the pickle's sha256. Before model records, ``load_model("models:/churn@champion")``
unpickled it. The store now records flavor, format, file name and sha256 when the model is
logged and when the version is registered, and ``load_model`` refuses the mismatch first.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle

import pytest
import sqlalchemy as sa
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import autolog
from autolog.entities import ModelRecord
from autolog.exceptions import ConflictError, ModelIntegrityError
from autolog.models import PICKLE_FORMATS, DisallowedFormatError, load_model, log_model
from autolog.store import SqlStore, _engine, _schema, _sqlite

X, y = load_iris(return_X_y=True)


class _Exploit:
    """Unpickling this creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request, tmp_path, monkeypatch):
    """A fresh tracking store (directory store, or PostgreSQL with a local artifact root)."""
    if request.param == "sqlite":
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", str(tmp_path / "store"))
    else:
        uri = request.getfixturevalue("fresh_postgres_uri")
        monkeypatch.setenv("AUTOLOG_TRACKING_URI", uri)
        monkeypatch.setenv("AUTOLOG_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    return tmp_path


def _log(serialization_format="skops"):
    model = LogisticRegression(max_iter=300).fit(X, y)
    with autolog.start_run() as run:
        info = log_model(model, "model", serialization_format=serialization_format)
    directory = autolog.Client().store.artifacts(run.info.run_id).local_path("model")
    return info.model_uri, directory


def _swap_in_pickle(directory, marker):
    """The attack: a pickle payload plus metadata that names it, with its true sha256."""
    payload = pickle.dumps(_Exploit(str(marker)))
    metadata_path = os.path.join(directory, "autolog-model.json")
    with open(metadata_path) as handle:
        metadata = json.load(handle)
    os.remove(os.path.join(directory, metadata["model_file"]))
    with open(os.path.join(directory, "model.pkl"), "wb") as handle:
        handle.write(payload)
    metadata.update(
        serialization_format="pickle",
        model_file="model.pkl",
        sha256=hashlib.sha256(payload).hexdigest(),
        size_bytes=len(payload),
    )
    with open(metadata_path, "w") as handle:
        json.dump(metadata, handle)


def test_rewritten_metadata_cannot_turn_a_registered_skops_model_into_a_pickle(store_env):
    uri, directory = _log("skops")
    version = autolog.register_model(uri, "churn")
    autolog.set_registered_model_alias("churn", "champion", version.version)
    marker = store_env / "pwned"
    _swap_in_pickle(directory, marker)
    for target in ("models:/churn@champion", "models:/churn/1", uri):
        # refused by the store's record of the model, or of the metadata file itself (artifact records)
        with pytest.raises(ModelIntegrityError, match="recorded"):
            load_model(target, trusted_types=[])
    assert not marker.exists()


def test_rewritten_metadata_with_the_same_format_is_refused_by_the_recorded_sha256(store_env):
    uri, directory = _log("pickle")
    autolog.register_model(uri, "churn")
    marker = store_env / "pwned"
    _swap_in_pickle(directory, marker)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_model("models:/churn/1")
    assert not marker.exists()


def test_the_store_records_the_model_when_logged_and_when_registered(store_env):
    uri, directory = _log("skops")
    run_id = uri.split("/")[1]
    store = autolog.Client().store
    record = store.get_model_record(run_id, "model")
    with open(os.path.join(directory, "model.skops"), "rb") as handle:
        assert record.sha256 == hashlib.sha256(handle.read()).hexdigest()
    assert (record.flavor, record.serialization_format, record.model_file) == (
        "sklearn",
        "skops",
        "model.skops",
    )
    version = autolog.register_model(uri, "churn")
    assert store.get_model_version_record("churn", version.version) == record
    assert load_model("models:/churn/1").predict(X[:2]).shape == (2,)


def test_allowed_formats_refuses_pickle_before_reading_it(store_env, tmp_path):
    uri, directory = _log("pickle")
    marker = tmp_path / "pwned"
    with open(os.path.join(directory, "model.pkl"), "wb") as handle:
        handle.write(pickle.dumps(_Exploit(str(marker))))  # would also fail the sha256 check
    allowed = ["skops", "json", "ubj", "text", "keras", "state_dict"]
    assert not PICKLE_FORMATS & set(allowed)
    with pytest.raises(DisallowedFormatError, match="'pickle'.*allowed_formats"):
        load_model(uri, allowed_formats=allowed)
    with pytest.raises(DisallowedFormatError):
        load_model(directory, allowed_formats=allowed)  # local directories too
    assert not marker.exists()
    skops_uri, _ = _log("skops")
    assert load_model(skops_uri, allowed_formats=allowed).predict(X[:1]).shape == (1,)


def test_a_model_without_a_store_record_needs_trusted_true(store_env):
    uri, _ = _log("pickle")
    run_id = uri.split("/")[1]
    store = autolog.Client().store
    with _engine.write_transaction(store._writer()) as connection:  # as logged before schema revision 0003
        connection.execute(sa.text("DELETE FROM model_records"))
    with pytest.raises(ModelIntegrityError, match="no record.*trusted=True"):
        load_model(uri)
    assert load_model(uri, trusted=True).predict(X[:1]).shape == (1,)
    assert store.get_model_record(run_id, "model") is None


def _migrate(db_uri, direction, revision):
    from alembic import command
    from alembic.config import Config

    engine = _engine.create_engine(_sqlite.normalize_db_uri(db_uri))
    with _engine.write_transaction(engine) as connection:
        config = Config()
        config.set_main_option("script_location", _engine._MIGRATIONS_DIR)
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)
    engine.dispose()


def test_store_at_revision_2_upgrades_to_head_without_loss(sql_store):
    store = sql_store
    run = store.create_run("0", run_name="old", params={"C": "1"})
    run_id = run.info.run_id
    record = ModelRecord("sklearn", "pickle", "model.pkl", "a" * 64, 10)
    store.record_logged_model(run_id, "model", record)
    store.create_model_version("churn", run_id=run_id, artifact_path="model")
    store.record_model_version("churn", 1, record)
    store.set_registered_model_alias("churn", "champion", 1)
    store.close()
    _migrate(store.db_uri, "downgrade", "0002")  # what a store written before records looks like
    reopened = SqlStore(store.db_uri, store.artifact_root)  # upgrades to head on first use
    assert reopened.get_run(run_id).data.params == {"C": "1"}
    assert reopened.get_model_version_by_alias("churn", "champion").run_id == run_id
    assert reopened.get_model_record(run_id, "model") is None  # the upgrade makes no record up
    assert reopened.get_model_version_record("churn", 1) is None
    with reopened._writer().connect() as connection:
        assert _engine.current_revision(connection) == _schema.HEAD_REVISION
    reopened.record_logged_model(run_id, "model", record)  # and records work after it
    assert reopened.get_model_record(run_id, "model") == record
    reopened.close()


def test_records_follow_purge_and_version_deletion(store):
    run_id = store.create_run("0").info.run_id
    record = ModelRecord("sklearn", "skops", "model.skops", "b" * 64, 1)
    store.record_logged_model(run_id, "model", record)
    with pytest.raises(ConflictError):
        store.record_logged_model(run_id, "model", record)  # never replaced
    store.create_model_version("churn", run_id=run_id, artifact_path="model")
    store.record_model_version("churn", 1, record)
    store.delete_model_version("churn", 1)
    assert store.get_model_version_record("churn", 1) is None
    store.delete_run(run_id)
    store.purge_deleted_runs([run_id])
    assert store.get_model_record(run_id, "model") is None
    store.close()
