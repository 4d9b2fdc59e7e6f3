"""The model registry on the current tracking URI: ``autolog.register_model(...)`` and the rest.

Each function is the :class:`autolog.Client` method of the same name, called on the client of
the tracking URI in effect (:func:`autolog.tracking.current_client`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autolog._core._entities import ModelVersion, RegisteredModel
from autolog.tracking._client import Client
from autolog.tracking._fluent import current_client


def _client() -> Client:
    return current_client()


def register_model(
    model_uri: str, name: str, *, tags: Mapping[str, Any] | None = None, description: str | None = None
) -> ModelVersion:
    """Register ``runs:/<run_id>/<path>`` as a new version of ``name``; see :meth:`Client.register_model`."""
    return _client().register_model(model_uri, name, tags=tags, description=description)


def create_registered_model(
    name: str, *, tags: Mapping[str, Any] | None = None, description: str | None = None
) -> RegisteredModel:
    """Create an empty registered model; see :meth:`Client.create_registered_model`."""
    return _client().create_registered_model(name, tags=tags, description=description)


def get_registered_model(name: str) -> RegisteredModel:
    """The registered model ``name``; see :meth:`Client.get_registered_model`."""
    return _client().get_registered_model(name)


def search_registered_models(
    filter_string: str = "", *, name_like: str | None = None, max_results: int = 1000
) -> list[RegisteredModel]:
    """Registered models in name order; see :meth:`Client.search_registered_models`."""
    return _client().search_registered_models(filter_string, name_like=name_like, max_results=max_results)


def rename_registered_model(name: str, new_name: str) -> RegisteredModel:
    """Rename a registered model; see :meth:`Client.rename_registered_model`."""
    return _client().rename_registered_model(name, new_name)


def update_registered_model(name: str, description: str | None) -> RegisteredModel:
    """Set a registered model's description."""
    return _client().update_registered_model(name, description)


def delete_registered_model(name: str) -> None:
    """Delete a registered model with its versions and aliases (runs stay)."""
    _client().delete_registered_model(name)


def set_registered_model_tag(name: str, key: str, value: Any) -> None:
    """Set one tag on a registered model."""
    _client().set_registered_model_tag(name, key, value)


def delete_registered_model_tag(name: str, key: str) -> None:
    """Remove one tag of a registered model."""
    _client().delete_registered_model_tag(name, key)


def get_model_version(name: str, version: Any) -> ModelVersion:
    """One version of a registered model."""
    return _client().get_model_version(name, version)


def get_latest_model_version(name: str) -> ModelVersion:
    """The newest version of a registered model."""
    return _client().get_latest_model_version(name)


def search_model_versions(
    name: str | None = None, *, run_id: str | None = None, max_results: int = 1000
) -> list[ModelVersion]:
    """Versions of ``name`` (or of all models), newest first; ``run_id`` filters by source run."""
    return _client().search_model_versions(name, run_id=run_id, max_results=max_results)


def update_model_version(name: str, version: Any, description: str | None) -> ModelVersion:
    """Set a version's description."""
    return _client().update_model_version(name, version, description)


def delete_model_version(name: str, version: Any) -> None:
    """Delete a version and the aliases pointing at it."""
    _client().delete_model_version(name, version)


def set_model_version_tag(name: str, version: Any, key: str, value: Any) -> None:
    """Set one tag on a model version."""
    _client().set_model_version_tag(name, version, key, value)


def delete_model_version_tag(name: str, version: Any, key: str) -> None:
    """Remove one tag of a model version."""
    _client().delete_model_version_tag(name, version, key)


def set_registered_model_alias(name: str, alias: str, version: Any) -> None:
    """Point ``alias`` at ``version`` of ``name`` (moving it if already set)."""
    _client().set_registered_model_alias(name, alias, version)


def delete_registered_model_alias(name: str, alias: str) -> None:
    """Remove an alias of a registered model."""
    _client().delete_registered_model_alias(name, alias)


def get_model_version_by_alias(name: str, alias: str) -> ModelVersion:
    """The version ``alias`` points at."""
    return _client().get_model_version_by_alias(name, alias)


MODULE_FUNCTIONS = (
    "register_model",
    "create_registered_model",
    "get_registered_model",
    "search_registered_models",
    "rename_registered_model",
    "update_registered_model",
    "delete_registered_model",
    "set_registered_model_tag",
    "delete_registered_model_tag",
    "get_model_version",
    "get_latest_model_version",
    "search_model_versions",
    "update_model_version",
    "delete_model_version",
    "set_model_version_tag",
    "delete_model_version_tag",
    "set_registered_model_alias",
    "delete_registered_model_alias",
    "get_model_version_by_alias",
)
