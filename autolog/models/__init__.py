"""Model artifacts: save, log and load fitted models with integrity checks and metadata.

A model directory holds the serialized model and ``autolog-model.json`` (flavor, class,
serialization format, sha256, versions, signature, requirements). Importing this module imports
no numpy, pandas, scikit-learn or store code.
"""

from autolog.models._api import (
    ModelInfo,
    load_input_example,
    load_model,
    load_model_with_metadata,
    log_model,
    save_model,
)
from autolog.models._flavors import (
    FLAVOR_ENTRY_POINT_GROUP,
    PREDICTION_METHODS,
    Flavor,
    SavedModelFile,
    SklearnFlavor,
    get_flavor,
    register_flavor,
)
from autolog.models._metadata import METADATA_FILE_NAME, ModelMetadata, read_metadata
from autolog.models._serialization import (
    PICKLE_FORMATS,
    SERIALIZATION_FORMATS,
    DisallowedFormatError,
    MissingDependencyError,
    UntrustedTypesError,
)
from autolog.models._signature import INPUT_EXAMPLE_FILE_NAME, infer_signature

__all__ = [
    "FLAVOR_ENTRY_POINT_GROUP",
    "INPUT_EXAMPLE_FILE_NAME",
    "METADATA_FILE_NAME",
    "PICKLE_FORMATS",
    "PREDICTION_METHODS",
    "SERIALIZATION_FORMATS",
    "DisallowedFormatError",
    "Flavor",
    "MissingDependencyError",
    "ModelInfo",
    "ModelMetadata",
    "SavedModelFile",
    "SklearnFlavor",
    "UntrustedTypesError",
    "get_flavor",
    "infer_signature",
    "load_input_example",
    "load_model",
    "load_model_with_metadata",
    "log_model",
    "read_metadata",
    "register_flavor",
    "save_model",
]
