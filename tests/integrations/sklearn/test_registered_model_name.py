"""``autolog(registered_model_name=...)``: every autologged model becomes a registered version."""

from __future__ import annotations

import pytest

import autolog
from autolog import autolog as enable_autolog
from autolog.exceptions import InvalidInputError


def _iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


def test_each_autologged_model_is_a_new_version(store):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    enable_autolog(registered_model_name="iris-lr")
    X, y = _iris()
    plain = LogisticRegression(max_iter=300).fit(X, y)
    plain_run = autolog.last_active_run().info.run_id
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    search_run = autolog.last_active_run().info.run_id

    versions = store.search_model_versions("iris-lr")
    assert [(v.version, v.run_id) for v in versions] == [(2, search_run), (1, plain_run)]
    assert (autolog.load_model("models:/iris-lr/1").predict(X) == plain.predict(X)).all()
    assert (autolog.load_model("models:/iris-lr/latest").predict(X) == search.predict(X)).all()


def test_no_registration_without_the_option_or_without_models(store):
    from sklearn.linear_model import LogisticRegression

    X, y = _iris()
    enable_autolog()
    LogisticRegression(max_iter=300).fit(X, y)
    enable_autolog(registered_model_name="iris-lr", log_models=False)
    LogisticRegression(max_iter=300).fit(X, y)
    assert store.search_registered_models() == []


def test_a_bad_name_fails_at_the_autolog_call():
    with pytest.raises(InvalidInputError, match="registered_model_name.*'a/b'"):
        enable_autolog(registered_model_name="a/b")


def test_a_registration_failure_never_breaks_the_fit(store, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from autolog.engine import AutologWarning

    def broken(*_args, **_kwargs):
        raise RuntimeError("registry down")

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(autolog.Client, "register_model", broken)
    enable_autolog(registered_model_name="iris-lr")
    X, y = _iris()
    with pytest.warns(AutologWarning, match="registry down"):
        model = LogisticRegression(max_iter=300).fit(X, y)
    assert model.predict(X).shape == (150,)
    run = autolog.last_active_run()
    assert run.info.status == "FINISHED"
    assert "model" in [f.path for f in store.list_artifacts(run.info.run_id)]
