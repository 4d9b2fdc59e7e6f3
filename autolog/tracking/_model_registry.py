"""The model registry calls of :class:`autolog.Client` and the ``models:/`` URI grammar.

``register_model("runs:/<run_id>/model", "churn")`` checks that the run exists and that the path
holds a model saved by autolog, then records the next version of ``churn`` in the store.
``models:/churn/3``, ``models:/churn@champion`` and ``models:/churn/latest`` name a version;
:func:`resolve_model_version` turns them into the :class:`ModelVersion` whose ``source`` is loaded.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog._core._entities import ModelVersion, RegisteredModel
from autolog._core._exceptions import InvalidInputError

if TYPE_CHECKING:
    from autolog.store import Store

#: The file every model directory written by ``autolog.models`` holds (``METADATA_FILE_NAME``
#: there; repeated here because tracking sits below the models layer).
from autolog._core._constants import MODEL_METADATA_FILE

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
LATEST = "latest"


def validate_model_name(name: Any) -> str:
    """Return ``name`` if it is a valid registered model name, else raise ``InvalidInputError``."""
    from autolog._core import _validation

    return _validation.model_name(name)


def parse_runs_uri(model_uri: Any) -> tuple[str, str]:
    """``(run_id, artifact_path)`` of ``runs:/<run_id>/<artifact path>``, else ``InvalidInputError``."""
    if not isinstance(model_uri, str) or not model_uri.startswith(RUNS_SCHEME):
        raise InvalidInputError(
            f"model_uri must look like runs:/<run_id>/<artifact path> (e.g. runs:/<run_id>/model), "
            f"got {model_uri!r}"
        )
    run_id, _, path = model_uri[len(RUNS_SCHEME) :].lstrip("/").partition("/")
    path = posixpath.normpath(path.strip("/")) if path.strip("/") else ""
    if not run_id or not path or path.startswith("..") or "\\" in path:
        raise InvalidInputError(
            f"malformed model URI {model_uri!r}: expected runs:/<run_id>/<artifact path>, "
            f"e.g. runs:/{run_id or '<run_id>'}/model"
        )
    return run_id, path


def parse_models_uri(model_uri: str) -> tuple[str, str | None, str | None]:
    """``(name, version, alias)`` of ``models:/NAME/VERSION|latest`` or ``models:/NAME@ALIAS``.

    Exactly one of ``version`` (a string of digits, or ``"latest"``) and ``alias`` is set.
    """
    rest = model_uri[len(MODELS_SCHEME) :] if model_uri.startswith(MODELS_SCHEME) else ""
    rest = rest.rstrip("/")
    if "@" in rest and "/" not in rest:
        name, _, alias = rest.partition("@")
        if name and alias:
            return name, None, alias
    elif rest.count("/") == 1:
        name, _, version = rest.partition("/")
        if name and (version.isdigit() or version == LATEST):
            return name, version, None
    raise InvalidInputError(
        f"malformed model URI {model_uri!r}: expected models:/<name>/<version>, "
        f"models:/<name>/latest or models:/<name>@<alias>"
    )


def resolve_model_version(store: Store, model_uri: str) -> ModelVersion:
    """The version a ``models:/`` URI names (``NotFoundError`` for an unknown model/version/alias)."""
    name, version, alias = parse_models_uri(model_uri)
    if alias is not None:
        return store.get_model_version_by_alias(name, alias)
    if version == LATEST:
        return store.get_latest_model_version(name)
    return store.get_model_version(name, version)


class ModelRegistryCalls:
    """Registry methods mixed into :class:`autolog.Client` (which provides ``self.store``)."""

    @property
    def store(self) -> Store:  # provided by Client
        raise NotImplementedError

    # -- registered models ---------------------------------------------------------------------

    def register_model(
        self,
        model_uri: str,
        name: str,
        *,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ModelVersion:
        """Register the model at ``model_uri`` as a new version of ``name``.

        The registered model is created on first use. Versions are numbered 1, 2, ... without
        gaps or duplicates, also when several processes register at once.

        Parameters
        ----------
        model_uri : str
            ``runs:/<run_id>/<artifact path>``, e.g. ``runs:/<run_id>/model``.
        name : str
            The registered model, e.g. ``"churn"``.
        tags : dict, optional
            Tags of the new version.
        description : str, optional
            Description of the new version.

        Returns
        -------
        ModelVersion

        Raises
        ------
        InvalidInputError
            Malformed URI, bad name, or the path holds no model saved by autolog.
        NotFoundError
            No run with this id.

        Examples
        --------
        >>> version = autolog.register_model(f"runs:/{run_id}/model", "churn")  # doctest: +SKIP
        >>> autolog.set_registered_model_alias("churn", "champion", version.version)  # doctest: +SKIP
        """
        validate_model_name(name)
        run_id, artifact_path = parse_runs_uri(model_uri)
        self._check_holds_model(run_id, artifact_path, model_uri)
        version = self.store.create_model_version(
            name, run_id=run_id, artifact_path=artifact_path, tags=tags, description=description
        )
        # The version keeps its own copy of the store's record of the model files: load_model
        # checks the files against it (a model logged before records existed has none).
        record = self.store.get_model_record(run_id, artifact_path)
        if record is not None:
            self.store.record_model_version(version.name, version.version, record)
        return version

    def _check_holds_model(self, run_id: str, artifact_path: str, model_uri: str) -> None:
        repository = self.store.artifacts(run_id)  # NotFoundError for an unknown run
        local = repository.local_path(artifact_path)
        if local is not None:
            found = os.path.isfile(os.path.join(local, MODEL_METADATA_FILE))
        else:
            listed = repository.list_artifacts(artifact_path)
            found = any(posixpath.basename(entry.path) == MODEL_METADATA_FILE for entry in listed)
        if not found:
            raise InvalidInputError(
                f"{model_uri} holds no model: {artifact_path!r} of run {run_id} has no "
                f"{MODEL_METADATA_FILE} (log one with autolog.log_model, or autolog a fit)"
            )

    def create_registered_model(
        self, name: str, *, tags: Mapping[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model; ``ConflictError`` if the name is taken."""
        return self.store.create_registered_model(name, tags=tags, description=description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version number."""
        return self.store.get_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str = "",
        *,
        name_like: str | None = None,
        max_results: int = 1000,
    ) -> list[RegisteredModel]:
        """Registered models in name order, e.g. ``filter_string="name LIKE 'churn%'"``.

        Parameters
        ----------
        filter_string : str
            ``name`` or ``tags.<key>`` compared with ``=``, ``!=``, ``LIKE``, ``ILIKE`` to a quoted
            value, joined by ``and``.
        name_like : str, optional
            Case-insensitive SQL LIKE pattern on the name.
        max_results : int
            At most this many models.
        """
        return self.store.search_registered_models(
            filter_string, name_like=name_like, max_results=max_results
        )

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow."""
        return self.store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description."""
        return self.store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions and aliases (the runs and their artifacts stay)."""
        self.store.delete_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set one tag on a registered model."""
        self.store.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove one tag of a registered model."""
        self.store.delete_registered_model_tag(name, key)

    # -- versions ------------------------------------------------------------------------------

    def get_model_version(self, name: str, version: Any) -> ModelVersion:
        """One version (``version`` as int or string of digits)."""
        return self.store.get_model_version(name, version)

    def get_latest_model_version(self, name: str) -> ModelVersion:
        """The newest version of a model."""
        return self.store.get_latest_model_version(name)

    def search_model_versions(
        self,
        name: str | None = None,
        *,
        run_id: str | None = None,
        max_results: int = 1000,
    ) -> list[ModelVersion]:
        """Versions of ``name`` (or of every model), newest first; ``run_id`` keeps those made
        from that run."""
        run_ids = None if run_id is None else [run_id]
        return self.store.search_model_versions(name, run_ids=run_ids, max_results=max_results)

    def update_model_version(self, name: str, version: Any, description: str | None) -> ModelVersion:
        """Set a version's description."""
        return self.store.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: Any) -> None:
        """Delete a version and the aliases pointing at it (its number is not reused)."""
        self.store.delete_model_version(name, version)

    def set_model_version_tag(self, name: str, version: Any, key: str, value: Any) -> None:
        """Set one tag on a model version."""
        self.store.set_model_version_tag(name, version, key, str(value))

    def delete_model_version_tag(self, name: str, version: Any, key: str) -> None:
        """Remove one tag of a model version."""
        self.store.delete_model_version_tag(name, version, key)

    # -- aliases -------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: Any) -> None:
        """Point ``alias`` (e.g. ``"champion"``) at ``version``, moving it if already set."""
        self.store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self.store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        return self.store.get_model_version_by_alias(name, alias)

    def resolve_model_uri(self, model_uri: str) -> ModelVersion:
        """The version named by ``models:/NAME/VERSION``, ``models:/NAME/latest`` or ``models:/NAME@ALIAS``."""
        return resolve_model_version(self.store, model_uri)
