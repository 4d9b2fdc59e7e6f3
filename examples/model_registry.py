"""Model registry: register the best run of a grid search, point `champion` at it, load it by alias.

    python examples/model_registry.py            # search, register the best run, set champion
    python examples/model_registry.py predict    # another process: load models:/...@champion

Both steps use the tracking URI in effect (``AUTOLOG_TRACKING_URI``, else ``./autolog-runs``).
"""

import sys

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog

MODEL_NAME = "breast-cancer"
EXPERIMENT = "registry-example"


def data():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def search_and_register() -> None:
    autolog.set_experiment(EXPERIMENT)
    autolog.autolog(max_tuning_runs=0)
    X_train, X_test, y_train, y_test = data()
    GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        {"logisticregression__C": [0.01, 0.1, 1.0]},
        cv=3,
    ).fit(X_train, y_train)
    GridSearchCV(
        RandomForestClassifier(random_state=0), {"n_estimators": [20, 50], "max_depth": [3, None]}, cv=3
    ).fit(X_train, y_train)

    # The best search run of the experiment (each search run holds its best estimator).
    [best] = autolog.search_runs(
        filter_string="metrics.best_cv_score > 0",
        order_by=["metrics.best_cv_score DESC"],
        max_results=1,
        output_format="list",
    )
    best_params = {k: v for k, v in best.data.params.items() if k.startswith("best_")}
    print(
        f"best run {best.info.run_id}: best_cv_score {best.data.metrics['best_cv_score']:.4f}, {best_params}"
    )

    version = autolog.register_model(
        f"runs:/{best.info.run_id}/model",
        MODEL_NAME,
        description="best of the LogisticRegression and RandomForest searches",
    )
    autolog.set_registered_model_alias(MODEL_NAME, "champion", version.version)
    print(f"registered {MODEL_NAME} version {version.version}; champion -> {version.version}")


def predict_with_champion() -> None:
    _, X_test, _, y_test = data()
    champion = autolog.get_model_version_by_alias(MODEL_NAME, "champion")
    model = autolog.load_model(f"models:/{MODEL_NAME}@champion")  # sha256 checked before loading
    accuracy = (model.predict(X_test) == y_test).mean()
    print(
        f"loaded models:/{MODEL_NAME}@champion = version {champion.version} "
        f"(run {champion.run_id}): {type(model).__name__}, test accuracy {accuracy:.4f}"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["predict"]:
        predict_with_champion()
    else:
        search_and_register()
