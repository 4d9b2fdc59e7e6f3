"""System metrics: one daemon sampler thread per run, opt-in.

Enabled per run (``start_run(log_system_metrics=True)``), for every run of the process
(``autolog(log_system_metrics=True)``, which calls :func:`set_system_metrics_default`), or by the
environment (``AUTOLOG_SYSTEM_METRICS=1``). Every ``interval`` seconds (default 10,
``AUTOLOG_SYSTEM_METRICS_INTERVAL`` or the ``interval`` argument) the sampler logs, in one batch:

- ``system/cpu_percent`` (whole machine), ``system/process_cpu_percent`` (this process and its
  children; 100 = one core),
- ``system/memory_rss_mb`` (this process), ``system/memory_used_mb``, ``system/memory_percent``
  (machine),
- ``system/disk_read_mb``, ``system/disk_write_mb``, ``system/network_receive_mb``,
  ``system/network_transmit_mb`` (machine, since the sampler started),
- ``system/gpu_<i>/utilization_percent``, ``system/gpu_<i>/memory_used_mb``,
  ``system/gpu_<i>/memory_percent`` per NVIDIA device, when ``nvidia-ml-py`` finds one.

The step is the sample's index. The run gets the tag ``autolog.system_metrics.node`` (the node
id: ``AUTOLOG_NODE_ID``, else the host name); when another node already samples into the same
run, this node's keys become ``system/<node>/...`` so the two series never mix.

The thread is a daemon (it never keeps the process alive) and stops when the run ends
(:func:`stop_system_metrics`, called by the client whenever it terminates a run). psutil is an
optional dependency (``autolog[system]``); without it, one warning and no sampler.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autolog._core._process import PROCESS, StatePart

SYSTEM_METRICS_ENV = "AUTOLOG_SYSTEM_METRICS"
SYSTEM_METRICS_INTERVAL_ENV = "AUTOLOG_SYSTEM_METRICS_INTERVAL"
NODE_ID_ENV = "AUTOLOG_NODE_ID"
NODE_TAG = "autolog.system_metrics.node"
DEFAULT_INTERVAL_SECONDS = 10.0
_MB = 1024 * 1024


class _SystemMetricsState(StatePart):
    """The process default (``autolog(log_system_metrics=...)``) and the live samplers."""

    def __init__(self) -> None:
        self.default_enabled: bool | None = None
        self.default_interval: float | None = None
        self.samplers: dict[str, SystemMetricsSampler] = {}
        self.lock = threading.Lock()
        self.warned = False
        self.fork_hook_registered = getattr(self, "fork_hook_registered", False)

    def reset(self) -> None:
        """Stop every sampler, then forget the defaults (the fork hook stays: it cannot be removed)."""
        with self.lock:
            samplers = list(self.samplers.values())
        for sampler in samplers:
            sampler.stop()
        _SystemMetricsState.__init__(self)

    def forget_after_fork(self) -> None:
        # A forked child has none of the parent's threads; its runs start their own samplers.
        self.samplers = {}
        self.lock = threading.Lock()

    def on_first_sampler(self) -> None:
        first, self.fork_hook_registered = not self.fork_hook_registered, True
        if first and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.forget_after_fork)


_state = PROCESS.part("tracking.system_metrics", _SystemMetricsState)


def set_system_metrics_default(enabled: bool | None, interval: float | None = None) -> None:
    """Whether runs of this process sample system metrics unless told otherwise.

    ``None`` leaves the decision to ``AUTOLOG_SYSTEM_METRICS``. ``interval`` (seconds) replaces
    the default sampling interval.
    """
    _state.default_enabled = enabled
    _state.default_interval = interval


def system_metrics_wanted(explicit: bool | None = None) -> bool:
    """The argument if given, else the process default, else ``AUTOLOG_SYSTEM_METRICS``."""
    if explicit is not None:
        return bool(explicit)
    if _state.default_enabled is not None:
        return _state.default_enabled
    return os.environ.get(SYSTEM_METRICS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def sampling_interval() -> float:
    """Seconds between samples: the process default, else the environment, else 10."""
    if _state.default_interval is not None:
        return _state.default_interval
    raw = os.environ.get(SYSTEM_METRICS_INTERVAL_ENV)
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL_SECONDS
    except ValueError:
        return DEFAULT_INTERVAL_SECONDS
    return value if value > 0 else DEFAULT_INTERVAL_SECONDS


def node_id() -> str:
    """This node's label: ``AUTOLOG_NODE_ID``, else the host name."""
    import socket

    return os.environ.get(NODE_ID_ENV) or socket.gethostname() or "node"


def start_system_metrics(client: Any, run_id: str, *, interval: float | None = None) -> bool:
    """Start sampling into ``run_id`` (no-op if already sampling it); False without psutil."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        _warn_once("system metrics need psutil: pip install 'autolog[system]'")
        return False
    with _state.lock:
        if run_id in _state.samplers:
            return True
        sampler = SystemMetricsSampler(client, run_id, interval or sampling_interval())
        _state.samplers[run_id] = sampler
        _state.on_first_sampler()
    sampler.start()
    return True


def stop_system_metrics(run_id: str) -> None:
    """Stop the sampler of ``run_id``, if any, and wait briefly for its thread."""
    if not _state.samplers:  # the common case: one dict check per ended run
        return
    with _state.lock:
        sampler = _state.samplers.pop(run_id, None)
    if sampler is not None:
        sampler.stop()


def active_samplers() -> list[str]:
    """Run ids being sampled now (for tests and diagnostics)."""
    with _state.lock:
        return list(_state.samplers)


def _warn_once(message: str) -> None:
    if not _state.warned:
        _state.warned = True
        warnings.warn(f"autolog: {message}", RuntimeWarning, stacklevel=3)


class SystemMetricsSampler:
    """The daemon thread sampling one run; see the module docstring for the keys."""

    def __init__(self, client: Any, run_id: str, interval: float):
        self.client = client
        self.run_id = run_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"autolog-system-metrics-{run_id[:8]}", daemon=True
        )
        self._step = 0
        self._prefix = "system/"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread() and self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _loop(self) -> None:
        try:
            read = _make_reader()
            self._label_node()
        except Exception as error:
            _warn_once(f"system metrics are off for run {self.run_id}: {error}")
            return
        failures = 0
        while not self._stop.wait(self.interval):
            try:
                self._log(read())
                failures = 0
            except Exception as error:
                failures += 1
                if failures >= 3:
                    _warn_once(f"system metrics stopped for run {self.run_id}: {error}")
                    return

    def _label_node(self) -> None:
        node = node_id()
        tags = self.client.get_run(self.run_id).data.tags
        if tags.get(NODE_TAG, node) != node:
            self._prefix = f"system/{node}/"  # another node samples into this run already
            return
        self.client.set_tag(self.run_id, NODE_TAG, node)

    def _log(self, values: dict[str, float]) -> None:
        from autolog._core._entities import Metric

        timestamp = time.time_ns() // 1_000_000
        batch = [
            Metric(self._prefix + key, float(value), timestamp, self._step) for key, value in values.items()
        ]
        if self._stop.is_set():
            return  # the run ended while we read: write nothing after its end
        self.client.log_batch(self.run_id, metrics=batch)
        self._step += 1


def _make_reader() -> Callable[[], dict[str, float]]:
    """A function returning one sample; primes the counters that report "since last call"."""
    import psutil

    process = psutil.Process()
    process.cpu_percent(None)
    psutil.cpu_percent(None)
    children_cpu = _ChildrenCpu(process)
    disk_start = _disk_counters(psutil)
    net_start = _net_counters(psutil)
    gpus = _gpu_reader()

    def read() -> dict[str, float]:
        memory = psutil.virtual_memory()
        values = {
            "cpu_percent": psutil.cpu_percent(None),
            "process_cpu_percent": process.cpu_percent(None) + children_cpu.percent(),
            "memory_rss_mb": process.memory_info().rss / _MB,
            "memory_used_mb": (memory.total - memory.available) / _MB,
            "memory_percent": memory.percent,
        }
        values.update(_since(_disk_counters(psutil), disk_start, ("disk_read_mb", "disk_write_mb")))
        values.update(_since(_net_counters(psutil), net_start, ("network_receive_mb", "network_transmit_mb")))
        values.update(gpus())
        return values

    return read


class _ChildrenCpu:
    """CPU percent of the process's live children, summed (one core = 100)."""

    def __init__(self, process: Any):
        self.process = process
        self.known: dict[int, Any] = {}

    def percent(self) -> float:
        import psutil

        total = 0.0
        try:
            children = self.process.children(recursive=True)
        except psutil.Error:
            return 0.0
        alive = {}
        for child in children:
            tracked = self.known.get(child.pid, child)
            try:
                value = tracked.cpu_percent(None)
            except psutil.Error:
                continue
            if child.pid in self.known:
                total += value  # the first reading of a new child only primes it
            alive[child.pid] = tracked
        self.known = alive
        return total


def _disk_counters(psutil: Any) -> tuple[float, float] | None:
    counters = psutil.disk_io_counters()
    return None if counters is None else (counters.read_bytes / _MB, counters.write_bytes / _MB)


def _net_counters(psutil: Any) -> tuple[float, float] | None:
    counters = psutil.net_io_counters()
    return None if counters is None else (counters.bytes_recv / _MB, counters.bytes_sent / _MB)


def _since(now: tuple | None, start: tuple | None, keys: tuple[str, str]) -> dict[str, float]:
    if now is None or start is None:
        return {}
    return {key: max(0.0, value - first) for key, value, first in zip(keys, now, start)}


def _gpu_reader() -> Callable[[], dict[str, float]]:
    """Per-device utilisation and memory through NVML; a reader returning {} without a GPU.

    Only :func:`_nvml_readings` talks to NVML (run where an NVIDIA GPU is present; see
    docs/distributed.md for what is verified where); :func:`gpu_metrics` turns its readings into
    the metric keys and values, never inventing one.
    """
    try:
        import pynvml

        pynvml.nvmlInit()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:
        return dict
    if not handles:
        return dict
    return lambda: gpu_metrics(_nvml_readings(pynvml, handles))


@dataclass(frozen=True)
class GpuReading:
    """What NVML reports for one device at one moment (``None``: the device did not answer)."""

    index: int
    utilization_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None


def _nvml_readings(pynvml: Any, handles: list) -> list[GpuReading]:
    """One reading per device; a device whose query fails (reset, fell off the bus) reports
    ``None`` for what it did not answer instead of failing the whole sample."""
    readings = []
    for index, handle in enumerate(handles):
        try:
            utilization = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        except pynvml.NVMLError:
            utilization = None
        used: int | None = None
        total: int | None = None
        try:
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            used, total = int(memory.used), int(memory.total)
        except pynvml.NVMLError:
            pass
        readings.append(GpuReading(index, utilization, used, total))
    return readings


def gpu_metrics(readings: list[GpuReading]) -> dict[str, float]:
    """``gpu_<i>/utilization_percent``, ``gpu_<i>/memory_used_mb`` and ``gpu_<i>/memory_percent``
    of each device, from what it reported (a value it did not report has no key)."""
    values: dict[str, float] = {}
    for reading in readings:
        prefix = f"gpu_{reading.index}/"
        if reading.utilization_percent is not None:
            values[prefix + "utilization_percent"] = reading.utilization_percent
        if reading.memory_used_bytes is not None:
            values[prefix + "memory_used_mb"] = reading.memory_used_bytes / _MB
            if reading.memory_total_bytes:
                values[prefix + "memory_percent"] = (
                    100.0 * reading.memory_used_bytes / reading.memory_total_bytes
                )
    return values
