"""Who may do what: the caller of a request and a permission-checking wrapper of the store.

Every store call of the API and of the UI pages goes through :class:`GuardedStore`, which checks
the caller's level on the experiment (of the run) or the registered model first. Levels: NONE <
READ < EDIT < MANAGE. A user's level on a resource is: MANAGE for admins, else the explicit grant
(the creator of an experiment or registered model gets MANAGE), else the server's default
permission (READ unless configured). Without authentication every caller is an admin.
"""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autolog._core._entities import ViewType
from autolog._core._exceptions import AutologError, NotFoundError
from autolog.store import _server_auth as auth
from autolog.store._server_auth import EDIT, MANAGE, NONE, READ

_LEVEL_NAMES = {level: name for name, level in auth.LEVEL_NAMES.items()}


class PermissionDenied(AutologError):
    """The caller's level on the resource is too low (HTTP 403)."""


class Unauthenticated(AutologError):
    """No valid token or session (HTTP 401)."""


@dataclass(frozen=True)
class Caller:
    """The authenticated user of a request (``None`` user: authentication is off)."""

    user: str | None
    is_admin: bool


ANONYMOUS_ADMIN = Caller(None, True)
CURRENT_CALLER: contextvars.ContextVar[Caller] = contextvars.ContextVar("autolog_caller")


class Policy:
    """Levels of the current caller, read from the server tables."""

    def __init__(self, store, *, default_level: int = READ):
        self.store = store
        self.default_level = default_level
        self._run_experiments: dict[str, str] = {}  # a run never changes experiment
        self._lock = threading.Lock()

    @staticmethod
    def caller() -> Caller:
        return CURRENT_CALLER.get(ANONYMOUS_ADMIN)

    def level(self, kind: str, resource_id: str) -> int:
        caller = self.caller()
        if caller.is_admin:
            return MANAGE
        assert caller.user is not None  # only the anonymous caller (auth off) has no name, and it is admin
        granted = auth.permission(self.store, kind, str(resource_id), caller.user)
        return self.default_level if granted is None else granted

    def require(self, kind: str, resource_id: Any, needed: int) -> None:
        if self.level(kind, resource_id) < needed:
            caller = self.caller()
            what = "experiment" if kind == "experiment" else "registered model"
            raise PermissionDenied(
                f"user {caller.user!r} needs {_LEVEL_NAMES[needed]} on {what} {str(resource_id)!r}"
            )

    def readable(self, kind: str, resource_ids: list[str]) -> set[str]:
        caller = self.caller()
        if caller.is_admin:
            return set(resource_ids)
        assert caller.user is not None  # as in level()
        grants = auth.grants(self.store, kind, caller.user)
        return {rid for rid in resource_ids if grants.get(rid, self.default_level) >= READ}

    def experiment_of_run(self, run_id: Any) -> str:
        experiment_id = self._run_experiments.get(run_id) if isinstance(run_id, str) else None
        if experiment_id is None:
            experiment_id = auth.experiment_of_run(self.store, run_id)
            self.remember_run(run_id, experiment_id)
        return experiment_id

    def remember_run(self, run_id: str, experiment_id: str) -> None:
        with self._lock:
            if len(self._run_experiments) > 100_000:
                self._run_experiments.clear()
            self._run_experiments[run_id] = experiment_id

    def grant_creator(self, kind: str, resource_id: str) -> None:
        caller = self.caller()
        if caller.user is not None:
            auth.set_permission(self.store, kind, resource_id, caller.user, MANAGE)

    def require_admin(self) -> None:
        if not self.caller().is_admin:
            raise PermissionDenied(f"user {self.caller().user!r} is not an admin")


def _request_id(value: Any) -> str:
    from autolog._core._exceptions import InvalidInputError

    if type(value) is not str or not 8 <= len(value) <= 59 or not value.isalnum():
        raise InvalidInputError(f"invalid request id {value!r}: 8 to 59 letters and digits")
    return value


def _on_experiment(name: str, level: int) -> Callable:
    return lambda policy, args: policy.require("experiment", args[name], level)


def _on_run(name: str, level: int) -> Callable:
    return lambda policy, args: policy.require("experiment", policy.experiment_of_run(args[name]), level)


def _on_model(name: str, level: int) -> Callable:
    return lambda policy, args: policy.require("registered_model", args[name], level)


def _on_experiments(policy: Policy, args: dict) -> None:
    ids = args["experiment_ids"]
    for experiment_id in [ids] if isinstance(ids, (str, int)) else list(ids):
        policy.require("experiment", experiment_id, READ)


def _on_runs(policy: Policy, args: dict) -> None:
    ids = [args["run_ids"]] if isinstance(args["run_ids"], str) else list(args["run_ids"])
    for run_id in ids:
        try:
            policy.require("experiment", policy.experiment_of_run(run_id), EDIT)
        except NotFoundError:
            continue  # heartbeat ignores unknown runs


def _reading_runs(policy: Policy, args: dict) -> None:
    ids = [args["run_ids"]] if isinstance(args["run_ids"], str) else list(args["run_ids"])
    for run_id in ids:
        policy.require("experiment", policy.experiment_of_run(run_id), READ)


def _anyone(_policy: Policy, _args: dict) -> None:
    return None


def _admin(policy: Policy, _args: dict) -> None:
    policy.require_admin()


def _new_version(policy: Policy, args: dict) -> None:
    policy.require("experiment", policy.experiment_of_run(args["run_id"]), READ)
    try:
        policy.store.get_registered_model(args["name"])
    except (NotFoundError, AutologError):
        return  # registering creates the model; the caller becomes its manager
    policy.require("registered_model", args["name"], EDIT)


# Store method -> check run before the call. A method missing here is not callable remotely.
RULES: dict[str, Callable] = {
    "create_experiment": _anyone,
    "get_experiment": _on_experiment("experiment_id", READ),
    "rename_experiment": _on_experiment("experiment_id", MANAGE),
    "delete_experiment": _on_experiment("experiment_id", MANAGE),
    "restore_experiment": _on_experiment("experiment_id", MANAGE),
    "set_experiment_tag": _on_experiment("experiment_id", EDIT),
    "create_run": _on_experiment("experiment_id", EDIT),
    "create_finished_run": _on_experiment("experiment_id", EDIT),
    "get_run": _on_run("run_id", READ),
    "update_run": _on_run("run_id", EDIT),
    "finish_run": _on_run("run_id", EDIT),
    "heartbeat": _on_runs,
    "delete_run": _on_run("run_id", EDIT),
    "restore_run": _on_run("run_id", EDIT),
    "log_metric": _on_run("run_id", EDIT),
    "log_param": _on_run("run_id", EDIT),
    "set_tag": _on_run("run_id", EDIT),
    "log_batch": _on_run("run_id", EDIT),
    "delete_tag": _on_run("run_id", EDIT),
    "get_metric_history": _on_run("run_id", READ),
    "search_runs": _on_experiments,
    "count_runs": _on_experiments,
    "purge_deleted_runs": _admin,
    "artifacts": _on_run("run_id", READ),
    "create_registered_model": _anyone,
    "get_registered_model": _on_model("name", READ),
    "rename_registered_model": _on_model("name", MANAGE),
    "update_registered_model": _on_model("name", EDIT),
    "delete_registered_model": _on_model("name", MANAGE),
    "set_registered_model_tag": _on_model("name", EDIT),
    "delete_registered_model_tag": _on_model("name", EDIT),
    "create_model_version": _new_version,
    "get_model_version": _on_model("name", READ),
    "get_latest_model_version": _on_model("name", READ),
    "update_model_version": _on_model("name", EDIT),
    "delete_model_version": _on_model("name", MANAGE),
    "set_model_version_tag": _on_model("name", EDIT),
    "delete_model_version_tag": _on_model("name", EDIT),
    "set_registered_model_alias": _on_model("name", EDIT),
    "delete_registered_model_alias": _on_model("name", EDIT),
    "get_model_version_by_alias": _on_model("name", READ),
    "get_runs": _reading_runs,
    "find_run_ids": _anyone,  # ids only: reading a run found this way is checked by get_run
    "sample_metric_histories": _reading_runs,
    "metric_step_ranges": _on_run("run_id", READ),
    "metric_histories_since": _on_run("run_id", READ),
    "latest_metrics_since": _reading_runs,
    "experiment_keys": _on_experiments,
    "record_logged_model": _on_run("run_id", EDIT),
    "get_model_record": _on_run("run_id", READ),
    "record_model_version": _on_model("name", EDIT),
    "get_model_version_record": _on_model("name", READ),
}


class GuardedStore:
    """The store, with the caller's permission checked before every call.

    Searches return only what the caller may read; creating an experiment or registered model
    grants its creator MANAGE.
    """

    def __init__(self, store, policy: Policy):
        self._store = store
        self.policy = policy
        self.artifact_root = getattr(store, "artifact_root", None)

    def __getattr__(self, name: str):
        rule = RULES.get(name)
        if rule is None:
            raise AttributeError(f"{name!r} is not a store call the server offers")
        method = getattr(self._store, name)
        signature = inspect.signature(method)

        def guarded(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            rule(self.policy, bound.arguments)
            return method(*args, **kwargs)

        guarded.__name__ = name
        self.__dict__[name] = guarded  # later lookups skip __getattr__
        return guarded

    def create_experiment(self, name: str, artifact_location: Any = None, tags: Any = None) -> str:
        experiment_id = self._store.create_experiment(name, artifact_location=artifact_location, tags=tags)
        self.policy.grant_creator("experiment", experiment_id)
        return experiment_id

    def get_experiment_by_name(self, name: str):
        experiment = self._store.get_experiment_by_name(name)
        if experiment is not None:
            self.policy.require("experiment", experiment.experiment_id, READ)
        return experiment

    def search_experiments(
        self, view_type: Any = ViewType.ACTIVE_ONLY, name_like: Any = None, max_results: Any = None
    ):
        found = self._store.search_experiments(view_type=view_type, name_like=name_like, max_results=None)
        readable = self.policy.readable("experiment", [e.experiment_id for e in found])
        visible = [e for e in found if e.experiment_id in readable]
        if max_results is not None:
            self._store.search_experiments(view_type=view_type, max_results=max_results)  # validates
            visible = visible[:max_results]
        return visible

    def create_run(self, experiment_id: Any, *, request_id: Any = None, **kwargs):
        """``create_run``; a client ``request_id`` makes a retried request return the same run."""
        RULES["create_run"](self.policy, {"experiment_id": experiment_id})
        if request_id is None:
            return self._store.create_run(experiment_id, **kwargs)
        request_id = _request_id(request_id)
        earlier = auth.run_for_request(self.policy.store, request_id)
        if earlier is not None:
            return self._store.get_run(earlier)
        run = self._store.create_run(experiment_id, **kwargs)
        auth.remember_request(self.policy.store, request_id, run.info.run_id)
        self.policy.remember_run(run.info.run_id, run.info.experiment_id)  # its writes follow
        return run

    def create_registered_model(self, name: str, tags: Any = None, description: Any = None):
        model = self._store.create_registered_model(name, tags=tags, description=description)
        self.policy.grant_creator("registered_model", model.name)
        return model

    def create_model_version(self, name: str, **kwargs):
        RULES["create_model_version"](self.policy, {"name": name, **kwargs})
        existed = self._model_exists(name)
        version = self._store.create_model_version(name, **kwargs)
        if not existed:
            self.policy.grant_creator("registered_model", version.name)
        return version

    def _model_exists(self, name: str) -> bool:
        try:
            self._store.get_registered_model(name)
            return True
        except AutologError:
            return False

    def rename_registered_model(self, name: str, new_name: str):
        self.policy.require("registered_model", name, MANAGE)
        model = self._store.rename_registered_model(name, new_name)
        auth.rename_model_permissions(self.policy.store, name, model.name)
        return model

    def search_registered_models(
        self, filter_string: str = "", *, name_like: Any = None, max_results: Any = 100
    ):
        found = self._store.search_registered_models(
            filter_string, name_like=name_like, max_results=max_results
        )
        readable = self.policy.readable("registered_model", [m.name for m in found])
        return [m for m in found if m.name in readable]

    def search_model_versions(self, name: Any = None, *, run_ids: Any = None, max_results: Any = 100):
        found = self._store.search_model_versions(name, run_ids=run_ids, max_results=max_results)
        readable = self.policy.readable("registered_model", sorted({v.name for v in found}))
        return [v for v in found if v.name in readable]

    def log_batch_once(self, batch_id: str, run_id: str, metrics=(), params=(), tags=()) -> bool:
        RULES["log_batch"](self.policy, {"run_id": run_id})
        return auth.log_batch_once(self._store, batch_id, run_id, metrics, params, tags)

    def set_permission(self, kind: str, resource_id: str, user: str, level: str) -> None:
        number = auth.level_of(level)
        if kind == "experiment":
            self._store.get_experiment(resource_id)
        else:
            self._store.get_registered_model(resource_id)
        self.policy.require(kind, resource_id, MANAGE)
        auth.set_permission(self.policy.store, kind, resource_id, user, number)

    def whoami(self) -> dict:
        caller = self.policy.caller()
        return {
            "user": caller.user,
            "is_admin": caller.is_admin,
            "default_permission": _LEVEL_NAMES[self.policy.default_level],
            "artifact_root": self.artifact_root,
        }

    def close(self) -> None:
        self._store.close()


__all__ = [
    "CURRENT_CALLER",
    "NONE",
    "Caller",
    "GuardedStore",
    "PermissionDenied",
    "Policy",
    "Unauthenticated",
]
