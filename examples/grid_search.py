"""Hyperparameter search: one parent run, child runs for the best candidates, the best model."""

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import autolog
from autolog import autolog as enable_autolog

enable_autolog(max_tuning_runs=3)

X, y = load_breast_cancer(return_X_y=True)
search = GridSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
    {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]},
    cv=3,
).fit(X, y)

parent = autolog.last_active_run()
children = autolog.search_runs(filter_string="tags.autolog.search.rank LIKE '%'", output_format="list")
children = [run for run in children if run.info.parent_run_id == parent.info.run_id]
print("parent run", parent.info.run_id, "best C:", parent.data.params["best_logisticregression__C"])
print("best CV score:", round(parent.data.metrics["best_cv_score"], 4))
print(
    "child runs:",
    len(children),
    "| cv_results table:",
    [f.path for f in autolog.list_artifacts(run_id=parent.info.run_id)],
)
