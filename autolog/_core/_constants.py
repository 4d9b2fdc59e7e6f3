"""Names written by hand in more than one layer: file names and the limits of the key grammar."""

AUTOLOG_VERSION = "0.1.0"
"""autolog's version (``autolog.__version__``; pyproject.toml holds the same), written on every run
and model by the layers below ``autolog/__init__.py``, which must not import the package root."""

MODEL_METADATA_FILE = "autolog-model.json"
"""The metadata file of a model directory (flavor, class, format, sha256 of the model file)."""

MAX_KEY_LENGTH = 250
"""Longest param, metric or tag key (and run name) the store accepts."""

# -- tag keys autolog writes on runs (read back by the UI, the CLI and ``autolog.diff``) ---------

TAG_AUTOLOG_VERSION = "autolog.version"
TAG_SOURCE_NAME = "autolog.source.name"
TAG_SOURCE_ARGV = "autolog.source.argv"
TAG_USER = "autolog.user"
TAG_HOST = "autolog.host"
TAG_PYTHON_VERSION = "autolog.python.version"

TAG_GIT_REPO = "autolog.git.repo"
TAG_GIT_COMMIT = "autolog.git.commit"
TAG_GIT_BRANCH = "autolog.git.branch"
TAG_GIT_DIRTY = "autolog.git.dirty"
TAG_GIT_DIFF_SHA256 = "autolog.git.diff_sha256"
TAG_GIT_DIFF_ARTIFACT = "autolog.git.diff_artifact"

TAG_FRAMEWORK = "autolog.framework"
TAG_FRAMEWORK_VERSION = "autolog.framework.version"
TAG_REGISTERED_MODEL_NAME = "autolog.registered_model_name"
TAG_ESTIMATOR_NAME = "estimator_name"
TAG_ESTIMATOR_CLASS = "estimator_class"

TAG_DATA_PREFIX = "autolog.data"
"""Dataset tags are ``autolog.data[.<dataset>].<field>`` (``DatasetFingerprint.to_tags``)."""
TAG_DATA_SOURCE = TAG_DATA_PREFIX + ".source"
TAG_DATA_SHAPE = TAG_DATA_PREFIX + ".shape"
TAG_DATA_NUM_ROWS = TAG_DATA_PREFIX + ".num_rows"
TAG_DATA_COLUMNS = TAG_DATA_PREFIX + ".columns"

NOTE_TAG = "mlflow.note.content"
"""The tag holding a run's or an experiment's markdown note (MLflow's key, so notes move both ways)."""

FAILURE_TAG = "autolog.error"
"""Tag of a run ended FAILED by an exception in the autologged call: ``Type: message``."""
