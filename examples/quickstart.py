"""Quickstart: one line turns every scikit-learn fit into a recorded run.

    python examples/quickstart.py     # then: autolog runs list / autolog ui
"""

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

import autolog
from autolog import autolog as enable_autolog

enable_autolog()

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = LogisticRegression(max_iter=200).fit(X_train, y_train)  # -> a run
print("test accuracy:", accuracy_score(y_test, model.predict(X_test)))  # -> logged on that run

run = autolog.last_active_run()
print("run", run.info.run_id, run.info.status)
print("metrics:", sorted(run.data.metrics))

reloaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
assert (reloaded.predict(X_test) == model.predict(X_test)).all()
print("reloaded model predicts the same")
