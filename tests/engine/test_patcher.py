import copy
import inspect
import pickle

import pytest

from autolog.engine import Patcher, is_autolog_wrapper


class Base:
    def fit(self, X, y=None, *, sample_weight=None):
        """Fit the thing."""
        return self


class Child(Base):
    pass


def passthrough(wrapped, instance, args, kwargs):
    return wrapped(*args, **kwargs)


def test_restore_puts_back_the_original_object():
    original = Base.__dict__["fit"]
    patcher = Patcher("test")
    assert patcher.wrap(Base, "fit", passthrough)
    assert is_autolog_wrapper(Base.__dict__["fit"])
    patcher.restore()
    assert Base.__dict__["fit"] is original


def test_an_inherited_attribute_is_deleted_on_restore():
    patcher = Patcher("test")
    assert patcher.wrap(Child, "fit", passthrough)
    assert "fit" in Child.__dict__
    patcher.restore()
    assert "fit" not in Child.__dict__
    assert Child.fit is Base.fit


def test_wrapping_is_idempotent_and_never_wraps_a_wrapper():
    first, second = Patcher("a"), Patcher("b")
    assert first.wrap(Base, "fit", passthrough)
    assert not first.wrap(Base, "fit", passthrough)
    assert not second.wrap(Base, "fit", passthrough)
    assert not second.wrap(Child, "fit", passthrough)  # would wrap the inherited wrapper
    first.restore()
    second.restore()
    assert not is_autolog_wrapper(Base.__dict__["fit"])


def test_signature_docstring_and_name_are_intact():
    before = inspect.signature(Base.fit), Base.fit.__doc__, Base.fit.__name__
    patcher = Patcher("test")
    patcher.wrap(Base, "fit", passthrough)
    try:
        assert (inspect.signature(Base.fit), Base.fit.__doc__, Base.fit.__name__) == before
        assert inspect.signature(Base().fit) == inspect.signature(Base().fit.__wrapped__)
    finally:
        patcher.restore()


def test_wrappers_pickle_and_copy_like_functions_and_methods():
    patcher = Patcher("test")
    patcher.wrap(Base, "fit", passthrough)
    try:
        instance = Base()
        assert pickle.loads(pickle.dumps(Base.fit)).__name__ == "fit"
        bound = pickle.loads(pickle.dumps(instance.fit))
        assert isinstance(bound.__self__, Base)
        assert copy.deepcopy(Base.__dict__["fit"]) is Base.__dict__["fit"]
    finally:
        patcher.restore()


def test_replace_has_the_same_bookkeeping():
    original = Base.__dict__["fit"]
    patcher = Patcher("test")

    def replacement(self, X, y=None):
        return "replaced"

    assert patcher.replace(Base, "fit", replacement)
    assert not patcher.replace(Base, "fit", replacement)
    assert Base().fit(1) == "replaced"
    patcher.restore()
    assert Base.__dict__["fit"] is original


def test_wrap_after_restore_does_nothing():
    patcher = Patcher("test")
    patcher.restore()
    assert not patcher.wrap(Base, "fit", passthrough)
    assert not is_autolog_wrapper(Base.__dict__["fit"])


def test_when_imported_runs_now_for_imported_modules_and_is_withdrawn_on_restore():
    seen = []
    patcher = Patcher("test")
    patcher.when_imported("json", lambda module: seen.append(module.__name__))
    assert seen == ["json"]
    patcher.when_imported("autolog_never_imported_module", seen.append)
    patcher.restore()
    from autolog.engine import _imports

    assert not any(_imports._callbacks.get("autolog_never_imported_module", []))


def test_a_failing_import_callback_never_breaks_the_import(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    patcher = Patcher("test")

    def broken(module):
        raise RuntimeError("boom")

    with pytest.warns(UserWarning, match="boom"):
        patcher.when_imported("json", broken)
    patcher.restore()
