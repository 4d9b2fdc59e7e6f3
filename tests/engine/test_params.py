"""Stable param texts: each estimator's text made once per walk, and never a cut-off text reused
where the whole one fits."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from autolog.engine import stable_params, stable_repr


class Counted:
    """A minimal estimator that counts ``get_params`` calls."""

    calls = 0

    def __init__(self, inner=None, alpha=1.0):
        self.inner = inner
        self.alpha = alpha

    def get_params(self, deep=True):
        Counted.calls += 1
        params = {"inner": self.inner, "alpha": self.alpha}
        if deep and hasattr(self.inner, "get_params"):
            params.update({f"inner__{k}": v for k, v in self.inner.get_params(deep=False).items()})
        return params


def test_a_pipelines_steps_read_the_same_under_steps_and_under_their_names():
    pipe = Pipeline([("scale", StandardScaler(with_mean=False)), ("clf", LogisticRegression(C=0.5))])
    params = stable_params(pipe)
    assert params["scale"] == "StandardScaler(with_mean=False)"
    assert params["clf"] == "LogisticRegression(C=0.5)"
    assert params["steps"] == "[(scale, StandardScaler(with_mean=False)), (clf, LogisticRegression(C=0.5))]"


def test_each_estimator_reports_its_params_once_per_walk_beyond_the_deep_call():
    inner = Counted(alpha=2.0)
    outer = Counted(inner=[inner], alpha=3.0)  # inner appears inside a list, then again at the top
    Counted.calls = 0
    text = stable_repr({"a": outer, "b": inner})
    assert text == "{a: Counted(alpha=3.0, inner=[Counted(alpha=2.0)]), b: Counted(alpha=2.0)}"
    assert Counted.calls == 2  # outer once, inner once (reused at the smaller depth)


def test_a_text_cut_off_deep_down_is_not_reused_where_the_whole_text_fits():
    leaf = Counted(alpha=5.0)
    deep = leaf
    for _ in range(4):
        deep = Counted(inner=deep)
    buried = [[[deep]]]  # the leaf's params lie beyond the depth limit here
    text = stable_repr([buried, leaf])
    assert "..." in text
    assert text.endswith(", Counted(alpha=5.0)]")  # the leaf itself, in full


def test_an_estimator_that_holds_itself_ends_where_the_depth_limit_cuts_it():
    loop = Counted()
    loop.inner = loop
    text = stable_repr(loop)
    assert text.count("Counted(") == 7 and text.endswith("inner=...)))))))")  # not "Counted()"
