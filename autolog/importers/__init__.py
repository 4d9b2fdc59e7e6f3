"""Importers of other trackers' stores: :func:`import_mlflow` (``autolog import mlflow``).

Nothing of MLflow is imported here: MLflow's client runs in a child process, only when an import
runs.
"""

from autolog.importers._mlflow import ImportReport, import_mlflow

__all__ = ["ImportReport", "import_mlflow"]
