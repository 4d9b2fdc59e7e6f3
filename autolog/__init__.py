"""autolog: one line, and every training call becomes a run.

``import autolog`` stays cheap (no SQLAlchemy, pandas, numpy or scikit-learn): every public name
below is resolved on first access through the module-level ``__getattr__``.
"""

from __future__ import annotations

import importlib

from autolog._core._constants import AUTOLOG_VERSION
from autolog.exceptions import (
    AutologError,
    ConflictError,
    InvalidInputError,
    ModelIntegrityError,
    NotFoundError,
    StoreError,
)

__version__ = AUTOLOG_VERSION

_TRACKING = "autolog.tracking"
_ENTITIES = "autolog.entities"

# Public name -> module that defines it, imported on first access.
_LAZY_ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys(
        (
            "ActiveRun",
            "Client",
            "active_run",
            "create_experiment",
            "delete_tag",
            "download_artifacts",
            "end_run",
            "get_experiment",
            "get_experiment_by_name",
            "get_run",
            "get_store",
            "get_tracking_uri",
            "last_active_run",
            "list_artifacts",
            "log_artifact",
            "log_artifacts",
            "log_dict",
            "log_figure",
            "log_metric",
            "log_metrics",
            "log_param",
            "log_params",
            "log_text",
            "search_runs",
            "set_experiment",
            "set_tag",
            "set_tags",
            "set_tracking_uri",
            "start_run",
            # model registry
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
        ),
        _TRACKING,
    ),
    **dict.fromkeys(
        (
            "Experiment",
            "FileInfo",
            "LifecycleStage",
            "Metric",
            "ModelVersion",
            "ModelVersionStatus",
            "PagedList",
            "Param",
            "RegisteredModel",
            "Run",
            "RunData",
            "RunInfo",
            "RunStatus",
            "RunTag",
            "ViewType",
        ),
        _ENTITIES,
    ),
    # Owned by the engine and models layers; they resolve once those modules define them.
    "autolog": "autolog.engine",
    "disabled": "autolog.engine",
    "log_model": "autolog.models",
    "save_model": "autolog.models",
    "load_model": "autolog.models",
    "show": "autolog.tracking._notebook",
    "evaluate": "autolog.engine",
}

__all__ = [  # noqa: PLE0604 - *_LAZY_ATTRIBUTES adds its keys: names resolved on first access
    "AutologError",
    "ConflictError",
    "InvalidInputError",
    "ModelIntegrityError",
    "NotFoundError",
    "StoreError",
    "__version__",
    *_LAZY_ATTRIBUTES,
]


def __getattr__(name: str) -> object:
    module_name = _LAZY_ATTRIBUTES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'autolog' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(
            f"module 'autolog' has no attribute {name!r} ({module_name} does not define it yet)"
        ) from None
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES))
