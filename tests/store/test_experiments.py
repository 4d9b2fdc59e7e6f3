import pytest

from autolog.entities import LifecycleStage, ViewType
from autolog.exceptions import ConflictError, InvalidInputError, NotFoundError


def test_default_experiment_exists(store):
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location.endswith("/0")
    assert store.get_experiment_by_name("Default").experiment_id == "0"


def test_create_and_get(store):
    experiment_id = store.create_experiment("exp", tags={"team": "a"})
    experiment = store.get_experiment(experiment_id)
    assert experiment.name == "exp"
    assert experiment.tags == {"team": "a"}
    assert experiment.lifecycle_stage == LifecycleStage.ACTIVE
    root = store.get_experiment("0").artifact_location.rsplit("/", 1)[0]
    assert experiment.artifact_location == f"{root}/{experiment_id}"
    assert experiment.creation_time == experiment.last_update_time


def test_default_locations_are_under_the_artifact_root(sql_store):
    experiment_id = sql_store.create_experiment("exp")
    assert sql_store.get_experiment("0").artifact_location == f"{sql_store.artifact_root}/0"
    assert (
        sql_store.get_experiment(experiment_id).artifact_location
        == f"{sql_store.artifact_root}/{experiment_id}"
    )


def test_custom_artifact_location(store, tmp_path):
    experiment_id = store.create_experiment("e", artifact_location=str(tmp_path / "elsewhere"))
    assert store.get_experiment(experiment_id).artifact_location == str(tmp_path / "elsewhere")
    run = store.create_run(experiment_id)
    expected = f"{tmp_path / 'elsewhere'}/{run.info.run_id}/artifacts"
    assert run.info.artifact_uri == expected


def test_duplicate_name_conflicts_even_when_deleted(store):
    experiment_id = store.create_experiment("exp")
    with pytest.raises(ConflictError, match="'exp'"):
        store.create_experiment("exp")
    store.delete_experiment(experiment_id)
    with pytest.raises(ConflictError, match="deleted"):
        store.create_experiment("exp")


def test_unknown_experiment(store):
    with pytest.raises(NotFoundError, match="'12345'"):
        store.get_experiment("12345")
    assert store.get_experiment_by_name("nope") is None
    with pytest.raises(InvalidInputError):
        store.get_experiment("abc")
    with pytest.raises(NotFoundError):
        store.create_run("999")


def test_search_experiments(store):
    a = store.create_experiment("alpha")
    b = store.create_experiment("beta")
    store.delete_experiment(b)
    names = lambda **kw: [e.name for e in store.search_experiments(**kw)]  # noqa: E731
    assert names() == ["Default", "alpha"]
    assert names(view_type=ViewType.DELETED_ONLY) == ["beta"]
    assert names(view_type=ViewType.ALL) == ["Default", "alpha", "beta"]
    assert names(view_type=ViewType.ALL, name_like="B%") == ["beta"]
    assert names(max_results=1) == ["Default"]
    assert a != b


def test_rename(store):
    experiment_id = store.create_experiment("old")
    store.create_experiment("taken")
    store.rename_experiment(experiment_id, "new")
    assert store.get_experiment(experiment_id).name == "new"
    assert store.get_experiment_by_name("old") is None
    with pytest.raises(ConflictError):
        store.rename_experiment(experiment_id, "taken")
    with pytest.raises(NotFoundError):
        store.rename_experiment("777", "x")


def test_delete_restore_cascades_to_runs(store):
    experiment_id = store.create_experiment("e")
    run_id = store.create_run(experiment_id).info.run_id
    store.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == LifecycleStage.DELETED
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ConflictError):
        store.create_run(experiment_id)
    store.restore_experiment(experiment_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    with pytest.raises(InvalidInputError):
        store.delete_experiment("0")


def test_experiment_tags(store):
    store.set_experiment_tag("0", "k", "v1")
    store.set_experiment_tag("0", "k", "v2")
    assert store.get_experiment("0").tags == {"k": "v2"}
    with pytest.raises(InvalidInputError, match="'bad..key'"):
        store.set_experiment_tag("0", "bad..key", "v")
    with pytest.raises(NotFoundError):
        store.set_experiment_tag("55", "k", "v")


def test_invalid_names(store):
    for bad in ("", "   ", None, "x" * 501):
        with pytest.raises(InvalidInputError):
            store.create_experiment(bad)
