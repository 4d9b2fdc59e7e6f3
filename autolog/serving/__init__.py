"""Serve a logged model over HTTP (``autolog models serve``) or score files (``autolog models predict``).

The server speaks MLflow's ``/invocations`` protocol (``dataframe_split``, ``dataframe_records``,
``instances``, ``inputs``, CSV), checks every request against the model's recorded signature and
answers ``{"predictions": [...]}``. The model is loaded once, through :func:`autolog.load_model`'s
integrity checks, before the port opens.
"""

from autolog.serving._app import build_app
from autolog.serving._batch import predict_file
from autolog.serving._inputs import Limits, PayloadTooLargeError
from autolog.serving._model import ServedModel, load_served_model
from autolog.serving._server import check_bind, serve

__all__ = [
    "Limits",
    "PayloadTooLargeError",
    "ServedModel",
    "build_app",
    "check_bind",
    "load_served_model",
    "predict_file",
    "serve",
]
