"""MLflow models into a run: scikit-learn ones become autolog models, others plain artifacts."""

from __future__ import annotations

import os
import pickletools
from dataclasses import dataclass
from typing import Any

# MLflow's sklearn serialization formats that autolog loads the same way.
_FORMATS = {"pickle": "pickle", "cloudpickle": "cloudpickle"}
_SCAN_LIMIT = 200  # pickle opcodes read to find the model's class (it comes first)


@dataclass(frozen=True)
class ImportedModel:
    path: str  # artifact path inside the run
    autolog_model: bool  # loadable with autolog.load_model
    flavors: str  # MLflow flavors, for the report


def import_logged_model(model: dict, run_id: str, repository: Any, tracking_uri: str) -> ImportedModel:
    """Copy one MLflow model directory (``model``: name, dir, flavors) into the run.

    A scikit-learn model pickled by MLflow gets ``autolog-model.json`` (sha256 computed now)
    through :func:`autolog.models._api.log_model_files`, the same path as a logged model;
    any other flavor is copied as plain files.
    """
    path = _free_path(repository, model["name"], model.get("model_id"))
    flavors = model.get("flavors") or {}
    sklearn = _sklearn_file(model["dir"], flavors)
    if sklearn is not None:
        from autolog.models._api import log_model_files

        file_name, serialization_format, version = sklearn
        log_model_files(
            model["dir"],
            path,
            run_id=run_id,
            flavor="sklearn",
            model_class=pickled_class(os.path.join(model["dir"], file_name)) or "unknown.Unknown",
            serialization_format=serialization_format,
            model_file=file_name,
            framework_version=version,
            requirements=_requirements(model["dir"]),
            tracking_uri=tracking_uri,
        )
        return ImportedModel(path, True, "sklearn")
    repository.log_artifacts(model["dir"], path)
    return ImportedModel(path, False, ", ".join(sorted(flavors)) or "no MLmodel flavors")


def _free_path(repository: Any, name: str, model_id: str | None) -> str:
    if not repository.list_artifacts(name):
        return name
    return f"{name}-{model_id}" if model_id else f"{name}-mlflow"


def _sklearn_file(directory: str, flavors: dict) -> tuple | None:
    sklearn = flavors.get("sklearn")
    if not isinstance(sklearn, dict):
        return None
    file_name = sklearn.get("pickled_model")
    serialization_format = _FORMATS.get(sklearn.get("serialization_format") or "cloudpickle")
    if not file_name or serialization_format is None:
        return None
    if os.path.basename(file_name) != file_name or not os.path.isfile(os.path.join(directory, file_name)):
        return None
    return file_name, serialization_format, sklearn.get("sklearn_version")


def pickled_class(path: str) -> str | None:
    """``module.qualname`` of the object a pickle builds first, read without unpickling."""
    strings: list = []
    try:
        with open(path, "rb") as f:
            for index, (opcode, argument, _) in enumerate(pickletools.genops(f)):
                if opcode.name == "GLOBAL":
                    return str(argument).replace(" ", ".")
                if opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    return f"{strings[-2]}.{strings[-1]}"
                if isinstance(argument, str):
                    strings.append(argument)
                if index > _SCAN_LIMIT:
                    return None
    except Exception:  # not a pickle we can read: the class stays unknown, the sha256 still holds
        return None
    return None


def _requirements(directory: str) -> list:
    try:
        with open(os.path.join(directory, "requirements.txt"), encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except OSError:
        return []
    return [line for line in lines if line and not line.startswith(("#", "-"))]
