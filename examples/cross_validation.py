"""Cross-validation: one run per call, with per-fold scores; the fold fits make no runs."""

from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

import autolog
from autolog import autolog as enable_autolog

enable_autolog()

X, y = load_wine(return_X_y=True)
scores = cross_val_score(RandomForestClassifier(n_estimators=30, random_state=0), X, y, cv=5)
print("fold scores:", scores.round(3))

runs = autolog.search_runs(output_format="list")
print("runs recorded:", len(runs))
for run in runs:
    print(run.info.run_name, {key: round(value, 3) for key, value in run.data.metrics.items()})
