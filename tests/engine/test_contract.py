import asyncio
import threading
import warnings

import pytest

from autolog._core._process import PROCESS
from autolog.engine import (
    AutologWarning,
    attempt,
    disabled,
    disabled_here,
    guarded_call,
    in_training_call,
    is_suppressed,
    report_internal_error,
    training_call,
)


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")


def test_result_is_the_same_object_and_hooks_see_it():
    result, seen = object(), []
    returned = guarded_call(
        lambda: result, (), {}, kind="t", before=lambda: "state", on_success=lambda s, r: seen.append((s, r))
    )
    assert returned is result
    assert seen == [("state", result)]


def test_the_users_exception_propagates_unchanged_with_its_traceback():
    error = ValueError("user bug")

    def original():
        raise error

    seen = []
    with pytest.raises(ValueError) as info:
        guarded_call(original, (), {}, kind="t", before=lambda: 1, on_error=lambda s, e: seen.append(e))
    assert info.value is error
    assert seen == [error]
    frames = [frame.name for frame in info.traceback]
    assert frames[-1] == "original"


def test_our_failures_never_alter_the_result_and_warn_once_per_kind(lenient):
    calls = []

    def broken(*_):
        raise RuntimeError("internal")

    with pytest.warns(AutologWarning) as record:
        for _ in range(3):
            assert guarded_call(lambda: calls.append(1) or 42, (), {}, kind="k", before=broken) == 42
            assert guarded_call(lambda: 43, (), {}, kind="k", on_success=broken) == 43
    assert calls == [1, 1, 1]  # the original ran exactly once per call
    assert len([w for w in record if "internal" in str(w.message)]) == 1


def test_strict_mode_reraises_internal_errors(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "1")
    with pytest.raises(RuntimeError):
        report_internal_error("k", RuntimeError("strict"))


def test_attempt_never_swallows_keyboard_interrupt(lenient):
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        attempt("k", interrupted)


def test_attempt_runs_under_suppression(lenient):
    assert attempt("k", is_suppressed) == (True, True)
    assert not is_suppressed()


def test_silent_option_suppresses_warnings(lenient):
    from autolog.engine import autolog

    autolog(silent=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report_internal_error("quiet", RuntimeError("x"))


def test_flags_are_per_thread():
    seen = []
    with training_call(), disabled():
        thread = threading.Thread(target=lambda: seen.append((in_training_call(), disabled_here())))
        thread.start()
        thread.join()
        assert in_training_call() and disabled_here()
    assert seen == [(False, False)]
    assert not in_training_call()


def test_disabled_is_per_async_task():
    async def inside():
        with disabled():
            await asyncio.sleep(0.01)
            return disabled_here()

    async def outside():
        await asyncio.sleep(0.005)
        return disabled_here()

    async def main():
        return await asyncio.gather(inside(), outside())

    assert asyncio.run(main()) == [True, False]
