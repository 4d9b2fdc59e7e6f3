"""The input plan: which models take their checked rows as an array, and that nothing else changes.

In process, on real scikit-learn models saved with ``save_model`` (no server: the server tests
run the same paths over HTTP).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autolog.exceptions import InvalidInputError
from autolog.models import save_model
from autolog.serving import load_served_model
from autolog.serving._inputs import RowTable, parse_json
from tests.serving._models import FEATURES, iris_frame

X, y = iris_frame()
ROWS = X.head(5)


def served(tmp_path, model, *, owns_process=True, example=X):
    save_model(model, tmp_path / "model", input_example=example)
    return load_served_model(str(tmp_path / "model"), owns_process=owns_process)


def split(columns, rows):
    return RowTable(list(columns), [list(row) for row in rows])


def test_named_model_takes_an_array_and_predicts_as_with_the_frame(tmp_path):
    model = LogisticRegression(max_iter=300).fit(X, y)
    server = served(tmp_path, model)
    assert server.plan.array_dtype == "float64"
    assert isinstance(server.plan.conform(split(FEATURES, ROWS.to_numpy())), np.ndarray)
    with warnings.catch_warnings(record=True) as caught:  # the filters as the plan left them
        got = server.predict(split(FEATURES, ROWS.to_numpy()), "predict_proba")
    assert not [warning for warning in caught if "feature names" in str(warning.message)]
    np.testing.assert_array_equal(got, model.predict_proba(ROWS))


def test_columns_in_another_order_are_matched_by_name(tmp_path):
    model = LogisticRegression(max_iter=300).fit(X, y)
    server = served(tmp_path, model)
    shuffled = FEATURES[::-1]
    got = server.predict(split(shuffled, ROWS[shuffled].to_numpy()), "predict_proba")
    np.testing.assert_array_equal(got, model.predict_proba(ROWS))


def test_the_same_predictions_from_every_input_shape(tmp_path):
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
    server = served(tmp_path, model)
    assert server.plan.array_dtype == "float64"
    expected = model.predict(ROWS).tolist()
    whole = model.predict(ROWS.round()).tolist()
    bodies = [
        {"dataframe_split": {"columns": FEATURES, "data": ROWS.to_numpy().tolist()}},
        {"dataframe_records": ROWS.to_dict(orient="records")},
        {"inputs": ROWS.to_numpy().tolist()},
        {"instances": [[int(v) for v in row] for row in ROWS.to_numpy().tolist()]},
    ]
    for body in bodies:
        data, _ = parse_json(json.dumps(body).encode())
        assert server.predict(data).tolist() == (whole if "instances" in body else expected), body


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("wide", "column 'sepal_width' expects float64: row 0 holds 'wide'"),
        (None, "(column 'sepal_width', row 0, is empty)"),
        (True, "column 'sepal_width' expects float64, got booleans"),
    ],
    ids=["text", "null", "bool"],
)
def test_a_value_that_is_not_a_number_still_gets_its_message(tmp_path, value, message):
    server = served(tmp_path, LogisticRegression(max_iter=300).fit(X, y))
    with pytest.raises(InvalidInputError) as error:
        server.predict(split(FEATURES, [[5.1, value, 1.4, 0.2]]))
    assert message in str(error.value)


def test_missing_and_unknown_columns_are_named(tmp_path):
    server = served(tmp_path, LogisticRegression(max_iter=300).fit(X, y))
    with pytest.raises(InvalidInputError, match="missing column\\(s\\) 'petal_width'"):
        server.predict(split(FEATURES[:3], ROWS.to_numpy()[:, :3]))
    with pytest.raises(InvalidInputError, match="unknown column\\(s\\) 'colour'"):
        server.predict(split([*FEATURES, "colour"], np.c_[ROWS.to_numpy(), np.ones(len(ROWS))]))


def test_a_nan_sent_as_json_is_named_by_column_and_row(tmp_path):
    server = served(tmp_path, LogisticRegression(max_iter=300).fit(X, y))
    data, _ = parse_json(b'{"inputs": [[5.1, 3.5, 1.4, 0.2], [5.0, 3.0, NaN, 0.2]]}')
    with pytest.raises(InvalidInputError, match="column 'petal_length', row 1, is empty"):
        server.predict(data)


@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")  # save_model's own check
def test_model_fitted_without_names_takes_the_array_even_outside_the_commands(tmp_path):
    model = LogisticRegression(max_iter=300).fit(X.to_numpy(), y)
    server = served(tmp_path, model, owns_process=False)  # named signature from the example frame
    assert server.plan.array_dtype == "float64"
    got = server.predict(split(FEATURES, ROWS.to_numpy()))
    np.testing.assert_array_equal(got, model.predict(ROWS.to_numpy()))


def test_named_model_keeps_the_frame_outside_the_commands(tmp_path):
    server = served(tmp_path, LogisticRegression(max_iter=300).fit(X, y), owns_process=False)
    assert server.plan.array_dtype is None
    assert isinstance(server.plan.conform(split(FEATURES, ROWS.to_numpy())), pd.DataFrame)


def test_a_model_that_selects_columns_by_name_keeps_the_frame(tmp_path):
    columns = ColumnTransformer([("scaled", StandardScaler(), ["petal_length", "petal_width"])])
    model = make_pipeline(columns, LogisticRegression(max_iter=300)).fit(X, y)
    server = served(tmp_path, model)
    assert server.plan.array_dtype is None
    shuffled = FEATURES[::-1]
    got = server.predict(split(shuffled, ROWS[shuffled].to_numpy()))
    np.testing.assert_array_equal(got, model.predict(ROWS))


def test_integer_columns_keep_the_general_path(tmp_path):
    frame = X.round().astype("int64")
    server = served(tmp_path, LogisticRegression(max_iter=300).fit(frame, y), example=frame)
    assert server.plan.array_dtype is None
    with pytest.raises(InvalidInputError, match="not an integer"):
        server.predict(split(FEATURES, [[5.5, 3, 1, 0]]))
