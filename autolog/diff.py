"""What changed between two runs: ``diff_runs(run_a, run_b, client=...) -> RunDiff``."""

from autolog._run_diff import (
    CodeDiff,
    DatasetDiff,
    EnvironmentDiff,
    MetricDelta,
    ParamDiff,
    RunDiff,
    ValueChange,
    diff_runs,
    model_metadata,
)

__all__ = [
    "CodeDiff",
    "DatasetDiff",
    "EnvironmentDiff",
    "MetricDelta",
    "ParamDiff",
    "RunDiff",
    "ValueChange",
    "diff_runs",
    "model_metadata",
]
