from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@pytest.fixture(scope="session")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def logistic(iris):
    X, y = iris
    return LogisticRegression(max_iter=300).fit(X, y)


@pytest.fixture(scope="session")
def forest(iris):
    X, y = iris
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)


@pytest.fixture(scope="session")
def frame_data():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 60),
            "income": rng.normal(50.0, 10.0, 60),
            "city": rng.choice(["Oslo", "Lima", "Pune"], 60),
        }
    )
    target = (frame["income"] > 50).astype(int).to_numpy()
    return frame, target


@pytest.fixture(scope="session")
def column_pipeline(frame_data):
    frame, target = frame_data
    preprocess = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]), ("cat", OneHotEncoder(), ["city"])]
    )
    return Pipeline([("prep", preprocess), ("clf", LogisticRegression())]).fit(frame, target)


@pytest.fixture
def tracking_dir(tracking_dir, artifact_backend):
    """Every model test runs twice: artifacts on local disk, and on the S3 endpoint (moto)."""
    return tracking_dir
