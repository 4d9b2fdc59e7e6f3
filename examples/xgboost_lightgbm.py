"""XGBoost and LightGBM: each training call is one run, with per-iteration metrics and the model
in the framework's own format. Nothing below the ``autolog()`` line knows about autolog.

Runs into ./autolog-runs unless AUTOLOG_TRACKING_URI says otherwise.
"""

import os

import autolog
from autolog import autolog as enable_autolog

autolog.set_tracking_uri(os.environ.get("AUTOLOG_TRACKING_URI", "autolog-runs"))
enable_autolog()  # before the imports below: each framework is patched as it is imported

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# 1. xgboost.train with early stopping
dtrain, dtest = xgb.DMatrix(X_train, y_train), xgb.DMatrix(X_test, y_test)
booster = xgb.train(
    {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 3},
    dtrain,
    num_boost_round=200,
    evals=[(dtrain, "train"), (dtest, "test")],
    early_stopping_rounds=10,
    verbose_eval=False,
)

# 2. the XGBoost scikit-learn wrapper, then an evaluation metric on its predictions
xgb_model = xgb.XGBClassifier(n_estimators=50, max_depth=3, eval_metric="logloss")
xgb_model.fit(X_train, y_train, eval_set=[(X_test, y_test)], verbose=False)
accuracy_score(y_test, xgb_model.predict(X_test))

# 3. lightgbm.train and 4. the LightGBM wrapper with early stopping
train_set = lgb.Dataset(X_train, y_train)
lgb.train(
    {"objective": "binary", "verbose": -1},
    train_set,
    50,
    valid_sets=[lgb.Dataset(X_test, y_test, reference=train_set)],
    valid_names=["test"],
)
lgb_model = lgb.LGBMClassifier(n_estimators=300, verbose=-1)
lgb_model.fit(
    X_train, y_train, eval_X=(X_test,), eval_y=(y_test,), callbacks=[lgb.early_stopping(10, verbose=False)]
)

for run in reversed(autolog.search_runs(output_format="list", max_results=4)):
    artifacts = [info.path for info in autolog.Client().list_artifacts(run.info.run_id)]
    print(f"\n{run.info.run_name} ({run.info.status}), run {run.info.run_id}")
    print("  params: ", dict(sorted(run.data.params.items())))
    print("  metrics:", {key: round(value, 4) for key, value in sorted(run.data.metrics.items())})
    print("  artifacts:", artifacts)

last = autolog.search_runs(output_format="list", max_results=1)[0]
reloaded = autolog.load_model(f"runs:/{last.info.run_id}/model")
print(
    "\nreloaded",
    type(reloaded).__name__,
    "predicts the same:",
    bool(np.array_equal(reloaded.predict(X_test), lgb_model.predict(X_test))),
)
