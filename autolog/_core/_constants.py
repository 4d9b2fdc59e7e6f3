"""Names written by hand in more than one layer: file names and the limits of the key grammar."""

MODEL_METADATA_FILE = "autolog-model.json"
"""The metadata file of a model directory (flavor, class, format, sha256 of the model file)."""

MAX_KEY_LENGTH = 250
"""Longest param, metric or tag key (and run name) the store accepts."""

NOTE_TAG = "mlflow.note.content"
"""The tag holding a run's or an experiment's markdown note (MLflow's key, so notes move both ways)."""
