"""Models of every flavor autolog logs, written into a store for the serving tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris

import autolog
from autolog.models import log_model

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def iris_frame() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return pd.DataFrame(X, columns=FEATURES), y


def log_sklearn(X: pd.DataFrame, y: np.ndarray) -> str:
    from sklearn.linear_model import LogisticRegression

    with autolog.start_run() as run:
        log_model(LogisticRegression(max_iter=300).fit(X, y), "model", input_example=X)
    return run.info.run_id


def log_xgboost_booster(X: pd.DataFrame, y: np.ndarray) -> str:
    import xgboost

    booster = xgboost.train(
        {"objective": "multi:softprob", "num_class": 3, "max_depth": 2},
        xgboost.DMatrix(X, label=y),
        num_boost_round=5,
    )
    with autolog.start_run() as run:
        log_model(booster, "model", flavor="xgboost", serialization_format="json", input_example=X)
    return run.info.run_id


def log_lightgbm(X: pd.DataFrame, y: np.ndarray) -> str:
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    with autolog.start_run() as run:
        log_model(model, "model", flavor="lightgbm", serialization_format="text", input_example=X)
    return run.info.run_id


def log_keras(X: pd.DataFrame, y: np.ndarray) -> str:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X.to_numpy("float32"), y, epochs=1, verbose=0)
    with autolog.start_run() as run:
        log_model(
            model, "model", flavor="keras", serialization_format="keras", input_example=X.to_numpy("float32")
        )
    return run.info.run_id


def log_pytorch(X: pd.DataFrame, y: np.ndarray) -> str:
    import torch

    from tests.serving._torch_net import IrisNet

    torch.manual_seed(0)
    module = IrisNet()
    with autolog.start_run() as run:
        log_model(module, "model", flavor="pytorch", serialization_format="state_dict")
    return run.info.run_id


LOGGERS = {
    "sklearn": log_sklearn,
    "xgboost": log_xgboost_booster,
    "lightgbm": log_lightgbm,
    "keras": log_keras,
    "pytorch": log_pytorch,
}
