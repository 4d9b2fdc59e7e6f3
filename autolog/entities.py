"""The records autolog returns: experiments, runs, metrics, artifacts' file infos, registry entries."""

from autolog._core._entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    ModelVersion,
    ModelVersionStatus,
    PagedList,
    Param,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)

__all__ = [
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
]
