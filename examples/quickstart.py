"""Quickstart: one line turns every scikit-learn fit into a recorded run.

    python examples/quickstart.py     # then: autolog runs list / autolog ui

Trains a model through ``autolog()`` (params, training metrics and the pickled model are logged
as one run), evaluates it (the test accuracy lands on the same run as ``accuracy_score_X_test``),
lists the recent runs, then reloads the model from the store and predicts. Runs are kept in
``./autolog-runs`` (or ``AUTOLOG_TRACKING_URI``). Needs only ``pip install -e .``.
"""

# The usual script shape: scikit-learn imports first, the metric function included.
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

run = autolog.get_run(autolog.last_active_run().info.run_id)
print(
    f"\nrun {run.info.run_id} {run.info.status}: {len(run.data.params)} params "
    f"(C={run.data.params.get('C')}, max_iter={run.data.params.get('max_iter')}), "
    f"metrics {sorted(run.data.metrics)}"
)
print("artifacts:", [f.path for f in autolog.list_artifacts("model", run_id=run.info.run_id)])

# List the most recent runs (a list of Run objects: no pandas needed).
columns = ("training_accuracy_score", "training_log_loss", "accuracy_score_X_test")
print(f"\n{'run id':<32}  {'status':<8}  {'name':<20}  " + "  ".join(columns))
for listed in autolog.search_runs(
    output_format="list", max_results=5, order_by=["attributes.start_time DESC"]
):
    values = [listed.data.metrics.get(c) for c in columns]
    cells = "  ".join(f"{'-' if v is None else f'{v:.4f}':>{len(c)}}" for c, v in zip(columns, values))
    print(
        f"{listed.info.run_id:<32}  {listed.info.status:<8}  {(listed.info.run_name or '')[:20]:<20}  {cells}"
    )

reloaded = autolog.load_model(f"runs:/{run.info.run_id}/model")
assert (reloaded.predict(X_test) == model.predict(X_test)).all()
print("\nreloaded model predicts the same:", reloaded.predict(X_test[:5]))
