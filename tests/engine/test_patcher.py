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


def decorated(function):
    """A decorator whose wrapper calls the undecorated function through a closure cell."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    return wrapper


@decorated
def add(a, b=1):
    """Add."""
    return a + b


def test_replace_cell_swaps_the_closure_cell_and_restore_puts_the_same_object_back():
    public, inner = add, add.__wrapped__
    held_before = add  # a reference taken before patching, as ``from m import f`` does
    patcher = Patcher("test")

    def hooked(a, b=1):
        return ("hooked", inner(a, b))

    assert patcher.replace_cell(add, "function", hooked, expected=inner)
    assert patcher.is_cell_replaced(add, "function")
    assert held_before(2) == ("hooked", 3)
    assert add is public and add.__wrapped__ is inner
    assert pickle.loads(pickle.dumps(add)) is add
    assert not patcher.replace_cell(add, "function", hooked)  # idempotent
    patcher.restore()
    assert add.__closure__[0].cell_contents is inner
    assert held_before(2) == 3
    assert not patcher.is_cell_replaced(add, "function")
    patcher.restore()  # idempotent
    assert add.__closure__[0].cell_contents is inner


def test_replace_cell_refuses_an_unexpected_cell_a_missing_cell_and_after_restore():
    inner = add.__wrapped__
    patcher = Patcher("test")
    assert not patcher.replace_cell(add, "function", print, expected=object())
    assert not patcher.replace_cell(add, "no_such_cell", print)
    assert not patcher.replace_cell(Base.fit, "function", print)  # not a closure
    assert add.__closure__[0].cell_contents is inner
    patcher.restore()
    assert not patcher.replace_cell(add, "function", print)
    assert add.__closure__[0].cell_contents is inner


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

    assert not any(_imports._hooks.callbacks.get("autolog_never_imported_module", []))


def test_a_failing_import_callback_never_breaks_the_import(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    patcher = Patcher("test")

    def broken(module):
        raise RuntimeError("boom")

    with pytest.warns(UserWarning, match="boom"):
        patcher.when_imported("json", broken)
    patcher.restore()
