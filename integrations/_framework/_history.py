"""Per-iteration metric histories collected inside a framework's callback, and store-safe keys."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from autolog._core._constants import MAX_KEY_LENGTH as MAX_METRIC_KEY_LENGTH
from autolog.engine import RunHandle

METRICS_PER_BATCH = 5000

_INVALID_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-./ :]")


@functools.lru_cache(maxsize=4096)  # called for every metric of every iteration
def metric_key(*parts: str) -> str:
    """Join ``parts`` with ``-`` into a key the store accepts (``ndcg@5`` -> ``ndcg_at_5``)."""
    key = "-".join(str(part) for part in parts if part != "")
    key = _INVALID_KEY_CHARACTERS.sub("_", key.replace("@", "_at_"))
    return key[:MAX_METRIC_KEY_LENGTH] or "metric"


class MetricHistory:
    """Per-iteration metric values collected inside a framework callback.

    Values are kept in memory while the framework trains and logged in as few batches as
    possible with :meth:`log_to`: after the call, or before its run is ended FAILED/KILLED
    (``FrameworkRecorder.on_failure``), so a training that diverged keeps its curve.

    Once :meth:`attach` gave it the run (``FrameworkRecorder.on_run_started``), a long training
    also writes what it collected at most once per ``FLUSH_EVERY_SECONDS`` (live curves; a
    training shorter than that writes nothing more than before). Per iteration this costs one
    integer comparison. A write that fails stops the periodic writes (the values stay for
    :meth:`log_to`) and raises to the callback, which reports it under the safety contract.
    """

    FLUSH_EVERY_SECONDS = 5.0

    def __init__(self) -> None:
        self._points: list[tuple[str, float, int, int]] = []
        self.last_step: int | None = None
        self._run: RunHandle | None = None  # attached: written periodically while training
        self._next_flush_ms = 0
        self._logged = 0  # self._points[:self._logged] are in the store

    def __len__(self) -> int:
        return len(self._points)

    def __getstate__(self) -> dict:
        # A callback pickled into a spawned worker (Lightning) does not take the run's client.
        return {**self.__dict__, "_run": None}

    def add(self, step: int, values: Mapping[str, float]) -> None:
        """Record ``{key: value}`` at ``step`` (timestamp: now)."""
        timestamp = time.time_ns() // 1_000_000
        for key, value in values.items():
            self._points.append((key, float(value), timestamp, int(step)))
        self.last_step = int(step)
        if self._run is not None and timestamp >= self._next_flush_ms:
            self._flush_periodically(timestamp)

    def attach(self, run: RunHandle) -> None:
        """Write to ``run`` every ``FLUSH_EVERY_SECONDS`` while training (from the next add on)."""
        self._run = run
        self._next_flush_ms = time.time_ns() // 1_000_000 + int(self.FLUSH_EVERY_SECONDS * 1000)

    def as_series(self) -> dict[str, list[tuple[int, float]]]:
        """``{key: [(step, value), ...]}`` in recording order."""
        series: dict[str, list[tuple[int, float]]] = {}
        for key, value, _, step in self._points:
            series.setdefault(key, []).append((step, value))
        return series

    def log_to(self, run: RunHandle) -> None:
        """Log every value not written yet on ``run`` (one transaction per ``METRICS_PER_BATCH``);
        stops the periodic writes."""
        self._run = None
        self._write(run)

    def _flush_periodically(self, now_ms: int) -> None:
        run, self._run = self._run, None  # a store that fails is not retried during training
        self._write(run)
        self._run = run
        self._next_flush_ms = now_ms + int(self.FLUSH_EVERY_SECONDS * 1000)

    def _write(self, run: RunHandle) -> None:
        from autolog.tracking import Metric

        while self._logged < len(self._points):
            end = min(self._logged + METRICS_PER_BATCH, len(self._points))
            metrics = [Metric(*point) for point in self._points[self._logged : end]]
            run.client.log_batch(run.run_id, metrics=metrics)
            self._logged = end


def history_from_evals_result(evals_result: Mapping[str, Mapping[str, Sequence[float]]]) -> MetricHistory:
    """A :class:`MetricHistory` from a framework's ``{eval_name: {metric: [values]}}`` record."""
    history = MetricHistory()
    for eval_name, metrics in evals_result.items():
        for metric_name, values in metrics.items():
            key = metric_key(eval_name, metric_name)
            for step, value in enumerate(values):
                history.add(step, {key: _scalar(value)})
    return history


def _scalar(value: Any) -> float:
    # ``cv`` histories hold (mean, std) pairs.
    return float(value[0]) if isinstance(value, (tuple, list)) else float(value)
