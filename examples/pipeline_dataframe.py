"""A Pipeline on a pandas DataFrame with a ColumnTransformer: one run for the whole pipeline."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import autolog
from autolog import autolog as enable_autolog

enable_autolog()

rng = np.random.default_rng(0)
frame = pd.DataFrame(
    {
        "area": rng.uniform(30, 200, 300),
        "rooms": rng.integers(1, 7, 300).astype(float),
        "city": rng.choice(["Lyon", "Paris", "Nantes"], 300),
    }
)
frame.loc[::17, "rooms"] = np.nan
price = (
    frame["area"] * 3000
    + frame["city"].map({"Lyon": 1e5, "Paris": 3e5, "Nantes": 5e4})
    + rng.normal(0, 2e4, 300)
)

model = Pipeline(
    [
        (
            "prepare",
            ColumnTransformer(
                [
                    (
                        "numbers",
                        Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]),
                        ["area", "rooms"],
                    ),
                    ("city", OneHotEncoder(), ["city"]),
                ]
            ),
        ),
        ("forest", RandomForestRegressor(n_estimators=30, random_state=0)),
    ]
).fit(frame, price)

run = autolog.last_active_run()
print("runs recorded:", len(autolog.search_runs(output_format="list")), "| run", run.info.run_id)
print("training R2:", round(run.data.metrics["training_r2_score"], 3))
print("data columns:", run.data.tags["autolog.data.columns"])
