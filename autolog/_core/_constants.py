"""Names written by hand in more than one layer: file names and the limits of the key grammar."""

MODEL_METADATA_FILE = "autolog-model.json"
"""The metadata file of a model directory (flavor, class, format, sha256 of the model file)."""

MAX_KEY_LENGTH = 250
"""Longest param, metric or tag key (and run name) the store accepts."""

FAILURE_TAG = "autolog.error"
"""Tag of a run ended FAILED by an exception in the autologged call: ``Type: message``."""
