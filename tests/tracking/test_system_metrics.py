"""System metrics: a real sampler thread reading real psutil values into a real store."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

import autolog
from autolog.exceptions import InvalidInputError
from autolog.tracking import _system_metrics
from autolog.tracking._system_metrics import NODE_TAG, active_samplers

pytest.importorskip("psutil")

# A busy loop; on a crowded machine (as root) it raises its priority so that it really keeps
# one core busy, as a training process would.
BUSY_CHILD = """
import os, time
try:
    os.nice(-10)
except OSError:
    pass
end = time.time() + 2.0
while time.time() < end:
    pass
"""


@pytest.fixture(autouse=True)
def no_default(monkeypatch):
    monkeypatch.delenv("AUTOLOG_SYSTEM_METRICS", raising=False)
    monkeypatch.delenv("AUTOLOG_NODE_ID", raising=False)
    _system_metrics.set_system_metrics_default(None)
    yield
    _system_metrics.set_system_metrics_default(None)


def _history(client, run_id, key):
    return [m.value for m in client.get_metric_history(run_id, key)]


def test_busy_child_process_shows_in_cpu_and_the_sampler_stops_with_the_run(tracking_dir):
    """The sampled process CPU, integrated over time, matches the CPU time the OS charged to the
    busy child (and this process); on a machine where the child gets most of a core, a sample
    shows more than 50 %."""
    import os

    _system_metrics.set_system_metrics_default(None, interval=0.2)
    with autolog.start_run(log_system_metrics=True) as run:
        cpu_before = time.process_time()
        busy = subprocess.Popen([sys.executable, "-c", BUSY_CHILD])
        wall = time.time()
        _, _, usage = os.wait4(busy.pid, 0)
        child_share = (usage.ru_utime + usage.ru_stime) / (time.time() - wall)
        time.sleep(0.3)
        charged = usage.ru_utime + usage.ru_stime + time.process_time() - cpu_before
    client = autolog.Client(str(tracking_dir))
    run_id = run.info.run_id
    assert run_id not in active_samplers()
    samples = sorted(client.get_metric_history(run_id, "system/process_cpu_percent"), key=lambda m: m.step)
    assert len(samples) >= 3
    times = [run.info.start_time] + [m.timestamp for m in samples]
    sampled = sum(m.value / 100 * (times[i + 1] - times[i]) / 1000 for i, m in enumerate(samples))
    # The first interval of a new child only primes its counter and the last one ends with it.
    assert 0.5 * charged - 0.05 <= sampled <= 1.25 * charged + 0.05, (sampled, charged)
    if child_share > 0.75:
        assert max(m.value for m in samples) > 50.0
    rss = _history(client, run_id, "system/memory_rss_mb")
    assert all(10 < value < 100_000 for value in rss)
    assert all(0 < value <= 100 for value in _history(client, run_id, "system/memory_percent"))
    assert _history(client, run_id, "system/disk_read_mb")[-1] >= 0
    assert client.get_run(run_id).data.tags[NODE_TAG]
    time.sleep(0.5)
    assert len(_history(client, run_id, "system/process_cpu_percent")) == len(
        samples
    )  # nothing after the end


def test_off_by_default_and_on_through_autolog_option_and_environment(tracking_dir, monkeypatch):
    with autolog.start_run() as plain:
        assert plain.info.run_id not in active_samplers()
    autolog.autolog(log_system_metrics=True, system_metrics_interval=0.1)
    try:
        with autolog.start_run() as sampled:
            assert sampled.info.run_id in active_samplers()
            time.sleep(0.35)
    finally:
        autolog.autolog(disable=True)
    client = autolog.Client(str(tracking_dir))
    assert _history(client, sampled.info.run_id, "system/cpu_percent")
    monkeypatch.setenv("AUTOLOG_SYSTEM_METRICS", "1")
    with autolog.start_run() as from_env:
        assert from_env.info.run_id in active_samplers()
    assert active_samplers() == []


def test_a_second_node_sampling_into_the_same_run_gets_its_own_series(tracking_dir, monkeypatch):
    _system_metrics.set_system_metrics_default(None, interval=0.1)
    client = autolog.Client(str(tracking_dir))
    with autolog.start_run() as run:
        client.set_tag(run.info.run_id, NODE_TAG, "node-a")
        monkeypatch.setenv("AUTOLOG_NODE_ID", "node-b")
        _system_metrics.start_system_metrics(client, run.info.run_id)
        time.sleep(0.35)
    keys = set(client.get_run(run.info.run_id).data.metrics)
    assert "system/node-b/cpu_percent" in keys and "system/cpu_percent" not in keys
    assert client.get_run(run.info.run_id).data.tags[NODE_TAG] == "node-a"


def test_the_sampler_never_keeps_the_process_alive(tmp_path):
    script = textwrap.dedent(
        f"""
        import autolog, os
        autolog.set_tracking_uri({str(tmp_path / "store")!r})
        run = autolog.start_run(log_system_metrics=True)
        print(run.info.run_id)
        os.environ  # the run is left open: atexit ends it, the daemon sampler must not block exit
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    run = autolog.Client(str(tmp_path / "store")).get_run(done.stdout.strip())
    assert run.info.status == "FINISHED"


@pytest.mark.parametrize("options", [{"log_system_metrics": "yes"}, {"system_metrics_interval": 0}])
def test_invalid_options_are_refused(options):
    with pytest.raises(InvalidInputError, match=next(iter(options))):
        autolog.autolog(**options)


def _nvidia_devices() -> int:
    pynvml = pytest.importorskip("pynvml")
    try:
        pynvml.nvmlInit()
        return pynvml.nvmlDeviceGetCount()
    except pynvml.NVMLError:
        return 0


def test_gpu_metrics_per_device_only_where_nvml_reports_a_device():
    devices = _nvidia_devices()
    values = _system_metrics._gpu_reader()()
    expected = {
        f"gpu_{i}/{key}"
        for i in range(devices)
        for key in ("utilization_percent", "memory_used_mb", "memory_percent")
    }
    assert set(values) == expected  # no device: no gpu keys at all, never invented values
    assert all(0 <= values[key] <= 100 for key in expected if key.endswith("percent"))


def test_gpu_readings_become_per_device_keys_and_a_missing_value_gets_no_key():
    from autolog.tracking._system_metrics import GpuReading, gpu_metrics

    gib = 1024**3
    values = gpu_metrics(
        [
            GpuReading(0, 87.0, 20 * gib, 80 * gib),
            GpuReading(1, None, 1 * gib, 0),  # utilisation not answered, no total reported
            GpuReading(2, None, None, None),
        ]
    )
    assert values == {
        "gpu_0/utilization_percent": 87.0,
        "gpu_0/memory_used_mb": 20 * 1024.0,
        "gpu_0/memory_percent": 25.0,
        "gpu_1/memory_used_mb": 1024.0,
    }


def test_a_device_nvml_cannot_query_reports_nothing_instead_of_failing_the_sample():
    # Real NVML bindings on a machine where the library or device is missing: every query
    # raises NVMLError, which must cost that device's keys and nothing else.
    pynvml = pytest.importorskip("pynvml")
    from autolog.tracking._system_metrics import _nvml_readings, gpu_metrics

    if _nvidia_devices():
        pytest.skip("a real NVIDIA device answers here; the test above covers it")
    readings = _nvml_readings(pynvml, [None, None])
    assert [r.index for r in readings] == [0, 1]
    assert gpu_metrics(readings) == {}
