"""Fixtures and helpers shared by the training-framework integration tests."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from types import ModuleType

import pytest

import autolog
from autolog import autolog as enable_autolog
from tests.conftest import IN_CI


def require(module_name: str) -> ModuleType:
    """Import ``module_name``; skip the module when it is missing, except in CI (then fail)."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        if IN_CI:
            raise
        pytest.skip(f"{module_name} is not installed (pip install -e '.[test]')", allow_module_level=True)


def runs_of(client) -> list:
    return list(client.search_runs(["0"]))


def only_run(client):
    (run,) = runs_of(client)
    return run


def history(client, run_id: str, key: str) -> list[tuple[int, float]]:
    """``[(step, value), ...]`` of a metric, by step."""
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def artifact_path(client, run_id: str, path: str) -> str:
    return client.store.artifacts(run_id).local_path(path)


def read_json_artifact(client, run_id: str, path: str):
    with open(artifact_path(client, run_id, path), encoding="utf-8") as f:
        return json.load(f)


def model_directory_files(client, run_id: str) -> dict[str, bytes]:
    directory = artifact_path(client, run_id, "model")
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


def run_python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of this virtualenv (strict mode, no store writes)."""
    env = {**os.environ, "AUTOLOG_STRICT": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def assert_one_warning_and_same_error(monkeypatch, train, error, match: str = "injected") -> None:
    """With ``FrameworkRecorder.on_failure`` broken (non-strict mode): ``train()`` raises
    ``error`` itself, with exactly one ``AutologWarning`` naming our failure."""
    import warnings

    from autolog.integrations._framework import FrameworkRecorder

    from autolog._core._process import PROCESS
    from autolog.engine import AutologWarning

    def broken(self, run, exc):
        raise RuntimeError(match)

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    PROCESS.reset("engine.reported_failures")
    monkeypatch.setattr(FrameworkRecorder, "on_failure", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(BaseException) as raised:
            train()
    assert raised.value is error and raised.value.__traceback__ is not None
    ours = [w for w in caught if issubclass(w.category, AutologWarning)]
    assert len(ours) == 1 and match in str(ours[0].message), [str(w.message) for w in ours]


def assert_history(client, run_id: str, key: str, expected: list[tuple[int, float]]) -> None:
    """The metric ``key`` has exactly the steps of ``expected`` with (approximately) its values."""
    recorded = history(client, run_id, key)
    assert [step for step, _ in recorded] == [step for step, _ in expected], key
    assert [value for _, value in recorded] == pytest.approx([value for _, value in expected], rel=1e-6), key


def assert_history_equals_evals_result(client, run_id: str, evals_result) -> None:
    """Every ``{eval_name: {metric: [values]}}`` series is the run's ``eval_name-metric`` history, step by step."""
    for eval_name, metrics in evals_result.items():
        for metric_name, values in metrics.items():
            assert history(client, run_id, f"{eval_name}-{metric_name}") == list(enumerate(values))


def run_ended_by(client, train, error: BaseException, status: str = "FAILED"):
    """Call ``train()``, which must raise ``error`` itself (traceback kept); the only run, ended ``status``."""
    with pytest.raises(type(error)) as raised:
        train()
    assert raised.value is error and raised.value.__traceback__ is not None
    run = only_run(client)
    assert run.info.status == status
    return run


def train_with_broken_metric_history(monkeypatch, train):
    """``train()`` in non-strict mode with ``MetricHistory.add`` raising: its result and the warnings."""
    import warnings

    from autolog.integrations._framework import MetricHistory

    def broken_add(self, step, values):
        raise ValueError("injected")

    monkeypatch.setenv("AUTOLOG_STRICT", "0")
    monkeypatch.setattr(MetricHistory, "add", broken_add)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train()
    return result, caught


def assert_reloads_with_the_same_predictions(run_id: str, model, data, methods=("predict",)):
    """The run's logged model loads as ``type(model)`` and predicts ``data`` exactly as ``model``."""
    import numpy as np

    loaded = autolog.load_model(f"runs:/{run_id}/model")
    assert type(loaded) is type(model)
    for method in methods:
        np.testing.assert_array_equal(getattr(loaded, method)(data), getattr(model, method)(data))
    return loaded


def assert_autolog_wraps_once_and_disable_restores(attributes) -> None:
    """``autolog()`` wraps every ``(owner, name)`` of ``attributes``, a second call does not wrap
    them again, and ``autolog(disable=True)`` puts back the very objects that were there."""
    from autolog.engine import is_autolog_wrapper

    originals = [(owner, name, vars(owner)[name]) for owner, name in attributes]
    enable_autolog()
    try:
        assert all(is_autolog_wrapper(vars(owner)[name]) for owner, name, _ in originals)
        enable_autolog()  # idempotent: never wrapped twice
        assert all(vars(owner)[name].__wrapped__ is original for owner, name, original in originals)
    finally:
        enable_autolog(disable=True)
    assert all(vars(owner)[name] is original for owner, name, original in originals)
