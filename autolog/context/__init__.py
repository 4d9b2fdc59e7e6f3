"""Run context: where the code runs from, which code, which packages, which data.

Importing this module imports no numpy, pandas, scipy or scikit-learn.
"""

from autolog.context._fingerprint import DatasetFingerprint, fingerprint
from autolog.context._packages import distribution_for_module, package_versions, requirements_for
from autolog.context._run_context import (
    collect_run_context,
    entry_script,
    git_diff,
    prefetch,
    refresh,
)

__all__ = [
    "DatasetFingerprint",
    "collect_run_context",
    "distribution_for_module",
    "entry_script",
    "fingerprint",
    "git_diff",
    "package_versions",
    "prefetch",
    "refresh",
    "requirements_for",
]
