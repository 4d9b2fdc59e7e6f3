"""``TrainingRecorder.on_run_started`` / ``on_failure``: called in order, under the contract, real store."""

from __future__ import annotations

import warnings

import pytest

import autolog
from autolog._core._process import PROCESS
from autolog.engine import AutologWarning, RunSpec, TrainingRecorder, run_training_call
from autolog.engine import autolog as enable_autolog


@pytest.fixture
def client(tracking_dir):
    autolog.set_tracking_uri(str(tracking_dir))
    enable_autolog()
    yield autolog.Client(str(tracking_dir))
    enable_autolog(disable=True)
    autolog.set_tracking_uri(None)


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")


class Recorder(TrainingRecorder):
    """Writes one metric per hook, so the store shows which hooks ran and in which state."""

    kind = "test: hooks"

    def __init__(self):
        self.calls = []

    def run_spec(self):
        return RunSpec(name="hooks")

    def on_run_started(self, run):
        self.calls.append("started")
        run.log_metrics({"started": 1.0})

    def log_results(self, run, result):
        self.calls.append("results")

    def on_failure(self, run, error):
        self.calls.append(("failure", error))
        assert run.client.get_run(run.run_id).info.status == "RUNNING"  # before the end
        run.log_metrics({"partial": 7.0}, step=3)


def _runs(client):
    return list(client.search_runs(["0"]))


def test_on_run_started_runs_before_the_users_call_and_on_failure_before_the_end(client):
    recorder = Recorder()
    error = ValueError("diverged")
    seen_in_call = []

    def training():
        seen_in_call.append(list(recorder.calls))
        raise error

    with pytest.raises(ValueError) as raised:
        run_training_call(training, (), {}, lambda: recorder)
    assert raised.value is error
    assert raised.value.__traceback__ is not None
    assert seen_in_call == [["started"]]
    assert recorder.calls == ["started", ("failure", error)]
    (run,) = _runs(client)
    assert run.info.status == "FAILED"
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "partial")] == [(3, 7.0)]
    assert run.data.metrics["started"] == 1.0


def test_keyboard_interrupt_calls_on_failure_and_ends_killed(client):
    recorder = Recorder()

    def training():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_training_call(training, (), {}, lambda: recorder)
    assert recorder.calls[-1][0] == "failure"
    (run,) = _runs(client)
    assert run.info.status == "KILLED"
    assert run.data.metrics["partial"] == 7.0


def test_success_does_not_call_on_failure(client):
    recorder = Recorder()
    assert run_training_call(lambda: 42, (), {}, lambda: recorder) == 42
    assert recorder.calls == ["started", "results"]
    assert _runs(client)[0].info.status == "FINISHED"


def test_the_users_run_is_left_open_but_keeps_the_partial_history(client):
    recorder = Recorder()
    with autolog.start_run() as user_run:
        with pytest.raises(ValueError):
            run_training_call(lambda: (_ for _ in ()).throw(ValueError("x")), (), {}, lambda: recorder)
        assert client.get_run(user_run.info.run_id).info.status == "RUNNING"
    run = client.get_run(user_run.info.run_id)
    assert run.data.metrics["partial"] == 7.0


def test_a_failing_on_failure_is_one_warning_the_run_still_fails_and_the_error_is_unchanged(client, lenient):
    class Broken(Recorder):
        def on_failure(self, run, error):
            raise RuntimeError("our bug")

    error = ValueError("user")

    def training():
        raise error

    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(ValueError) as raised:
                run_training_call(training, (), {}, Broken)
        assert raised.value is error
    assert [w for w in caught if issubclass(w.category, AutologWarning)] == []  # second time: deduplicated
    assert {run.info.status for run in _runs(client)} == {"FAILED"}


def test_a_failing_on_failure_warns_once(client, lenient):
    class Broken(Recorder):
        def on_failure(self, run, error):
            raise RuntimeError("our bug")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):
            run_training_call(lambda: (_ for _ in ()).throw(ValueError("u")), (), {}, Broken)
    ours = [w for w in caught if issubclass(w.category, AutologWarning)]
    assert len(ours) == 1 and "our bug" in str(ours[0].message)
    assert _runs(client)[0].info.status == "FAILED"


def test_a_failing_on_failure_in_strict_mode_re_raises_and_the_run_is_still_ended(client):
    class Broken(Recorder):
        def on_failure(self, run, error):
            raise RuntimeError("our bug")

    with pytest.raises(RuntimeError, match="our bug"):
        run_training_call(lambda: (_ for _ in ()).throw(ValueError("u")), (), {}, Broken)
    assert _runs(client)[0].info.status == "FAILED"


def test_ctrl_c_inside_on_failure_ends_the_run_killed(client):
    class Interrupted(Recorder):
        def on_failure(self, run, error):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_training_call(lambda: (_ for _ in ()).throw(ValueError("u")), (), {}, Interrupted)
    assert _runs(client)[0].info.status == "KILLED"


def test_a_failing_on_run_started_is_one_warning_and_the_call_still_records(client, lenient):
    class Broken(Recorder):
        def on_run_started(self, run):
            raise RuntimeError("start bug")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run_training_call(lambda: 5, (), {}, Broken) == 5
    assert len([w for w in caught if issubclass(w.category, AutologWarning)]) == 1
    assert _runs(client)[0].info.status == "FINISHED"
