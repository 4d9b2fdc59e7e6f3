"""Metric functions imported BEFORE ``autolog()``: the script shape users write.

``from sklearn.metrics import accuracy_score`` binds the function object itself; autolog swaps
the closure cell of scikit-learn's ``validate_params`` wrapper instead of replacing module
attributes, so that object logs too, and stays the very same object (identity, pickling).

Real scikit-learn, a real SQLite store in a temporary directory, strict mode (conftest). The
metric functions below are bound at import of this module, before any test enables autolog.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import sklearn.metrics
from autolog.integrations.sklearn import _post_training
from sklearn.datasets import load_iris, make_classification
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    f1_score,
    get_scorer,
    make_scorer,
    roc_auc_score,
    zero_one_loss,
)
from sklearn.model_selection import train_test_split

import autolog
from autolog import autolog as enable_autolog
from autolog._core._process import PROCESS
from autolog.engine._patcher import closure_cell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CELL = _post_training.VALIDATED_FUNCTION_CELL


def hooked_functions():
    """Every public metric function autolog hooks: ``name -> function``."""
    return {
        name: function
        for name, function in _post_training.metric_functions(sklearn.metrics).items()
        if _post_training._prediction_parameter(function) is not None
    }


# Taken at import, before autolog(): the objects and their cells as scikit-learn made them.
ORIGINAL_FUNCTIONS = hooked_functions()
ORIGINAL_CELLS = {name: closure_cell(f, CELL).cell_contents for name, f in ORIGINAL_FUNCTIONS.items()}
F1_MACRO = make_scorer(f1_score, average="macro")


@pytest.fixture
def client(tracking_dir):
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog(log_models=False)
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture
def binary():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0)


def only_run(client):
    runs = list(client.search_runs(["0"]))
    assert len(runs) == 1, [run.info.run_name for run in runs]
    return runs[0]


def post_training_metrics(client):
    metrics = client.get_run(only_run(client).info.run_id).data.metrics
    return {key: value for key, value in metrics.items() if not key.startswith("training_")}


SCRIPT = """
    import json, sys
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score            # imported BEFORE autolog()
    from sklearn.model_selection import train_test_split

    import autolog
    from autolog import autolog as enable_autolog

    enable_autolog(log_models=False)
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    value = accuracy_score(y_test, model.predict(X_test))
    run = autolog.last_active_run()
    metrics = autolog.Client().get_run(run.info.run_id).data.metrics
    print(json.dumps({"value": value, "metrics": metrics}))
"""


def test_a_script_importing_the_metric_before_autolog_logs_it(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {**os.environ, "AUTOLOG_STRICT": "1", "AUTOLOG_TRACKING_URI": str(tmp_path / "store")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout.strip().splitlines()[-1])
    assert output["metrics"]["accuracy_score_X_test"] == output["value"]


def test_every_metric_function_is_hooked_through_its_cell(client):
    assert ORIGINAL_FUNCTIONS, "no metric function found"
    fallbacks = []
    for name, function in hooked_functions().items():
        assert function is ORIGINAL_FUNCTIONS[name]  # the object itself was not replaced
        assert function.__wrapped__ is ORIGINAL_CELLS[name]
        hook = closure_cell(function, CELL).cell_contents
        if hook is ORIGINAL_CELLS[name]:
            fallbacks.append(name)
        else:
            assert hook.__wrapped__ is ORIGINAL_CELLS[name]
    assert fallbacks == []
    assert len(ORIGINAL_FUNCTIONS) >= 50


def test_f1_with_average_keyword_on_a_function_bound_before_autolog(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    predictions = model.predict(X_test)
    macro = f1_score(y_test, predictions, average="macro")
    weighted = f1_score(y_true=y_test, y_pred=predictions, average="weighted")
    assert post_training_metrics(client) == {"f1_score_X_test": macro, "f1_score_X_test-2": weighted}


def test_roc_auc_on_predict_proba_columns(client, binary):
    X_train, X_test, y_train, y_test = binary
    model = LogisticRegression().fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert post_training_metrics(client) == {"roc_auc_score_X_test": auc}


def test_scorers_made_before_autolog_are_logged_once(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    f1 = F1_MACRO(model, X_test, y_test)
    accuracy = get_scorer("accuracy")(model, X_test, y_test)
    assert post_training_metrics(client) == {"f1_score_X_test": f1, "accuracy_score_X_test": accuracy}


def test_model_score_logs_exactly_its_own_metric(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    score = model.score(X_test, y_test)
    assert post_training_metrics(client) == {"LogisticRegression_score_X_test": score}


def test_scikit_learns_own_metric_calls_are_not_logged(client, iris):
    X_train, X_test, y_train, y_test = iris
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    predictions = model.predict(X_test)
    loss = zero_one_loss(y_test, predictions)  # calls accuracy_score inside
    classification_report(y_test, predictions)  # not a metric function; its inner calls are sklearn's
    permutation_importance(model, X_test, y_test, n_repeats=2, random_state=0)  # scorer inside sklearn
    assert post_training_metrics(client) == {"zero_one_loss_X_test": loss}


def test_no_logging_on_arrays_not_from_an_autologged_model(client, iris):
    X_train, X_test, y_train, y_test = iris
    LogisticRegression(max_iter=300).fit(X_train, y_train)
    with autolog.disabled():
        other = LogisticRegression(max_iter=300).fit(X_train, y_train)
    accuracy_score(y_test, other.predict(X_test))
    accuracy_score(y_test, np.array(y_test))
    f1_score(y_test, y_test, average="macro")
    assert post_training_metrics(client) == {}


def test_disable_restores_every_cell_to_the_same_object(iris, tracking_dir):
    X_train, X_test, y_train, y_test = iris
    autolog.set_tracking_uri(str(tracking_dir))
    try:
        enable_autolog(log_models=False)
        enable_autolog(log_models=False)  # again: no second hook
        model = LogisticRegression(max_iter=300).fit(X_train, y_train)
        accuracy_score(y_test, model.predict(X_test))
        hook = closure_cell(accuracy_score, CELL).cell_contents
        assert hook is not ORIGINAL_CELLS["accuracy_score"]
        assert hook.__wrapped__ is ORIGINAL_CELLS["accuracy_score"]
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)
    for name, function in hooked_functions().items():
        assert function is ORIGINAL_FUNCTIONS[name]
        assert closure_cell(function, CELL).cell_contents is ORIGINAL_CELLS[name], name


def test_metric_functions_pickle_to_the_same_bytes_as_before_autolog(client):
    before = {name: pickle.dumps(function) for name, function in ORIGINAL_FUNCTIONS.items()}
    for name, function in hooked_functions().items():
        assert pickle.dumps(function) == before[name], name
        assert pickle.loads(before[name]) is function
    assert pickle.loads(pickle.dumps(F1_MACRO))._score_func is f1_score


def test_an_unexpected_cell_falls_back_to_attribute_replacement_and_warns_once(
    iris, tracking_dir, monkeypatch
):
    X_train, X_test, y_train, y_test = iris
    hamming_loss = ORIGINAL_FUNCTIONS["hamming_loss"]
    cell = closure_cell(hamming_loss, CELL)
    original_inner = cell.cell_contents

    def someone_elses_hook(*args, **kwargs):
        return original_inner(*args, **kwargs)

    PROCESS.reset("engine.reported_failures")
    cell.cell_contents = someone_elses_hook
    autolog.set_tracking_uri(str(tracking_dir))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enable_autolog(log_models=False)
        messages = [str(w.message) for w in caught if "validate_params" in str(w.message)]
        assert len(messages) == 1 and "hamming_loss" in messages[0]
        assert sklearn.metrics.hamming_loss is not hamming_loss  # replaced by attribute
        assert cell.cell_contents is someone_elses_hook  # left alone
        model = LogisticRegression(max_iter=300).fit(X_train, y_train)
        loss = sklearn.metrics.hamming_loss(y_test, model.predict(X_test))
        client = autolog.Client(str(tracking_dir))
        assert post_training_metrics(client) == {"hamming_loss_X_test": loss}
    finally:
        enable_autolog(disable=True)
        autolog.set_tracking_uri(None)
        cell.cell_contents = original_inner
    assert sklearn.metrics.hamming_loss is hamming_loss


BLOCK_PANDAS_AND_RUN = """
import importlib.abc, runpy, sys

class NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPandas())
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def test_quickstart_runs_without_pandas_and_lists_the_test_accuracy(tmp_path):
    env = {**os.environ, "AUTOLOG_STRICT": "1", "AUTOLOG_TRACKING_URI": str(tmp_path / "store")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    quickstart = os.path.join(ROOT, "examples", "quickstart.py")
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_PANDAS_AND_RUN, quickstart],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("run id"))
    assert "accuracy_score_X_test" in header
    row = lines[lines.index(header) + 1]
    assert "FINISHED" in row and row.split()[-1] != "-"  # the test accuracy is on the run
    assert "reloaded model predicts the same" in done.stdout
