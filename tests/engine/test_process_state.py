"""The one owner of process-wide state: named parts, one reset, exit handlers on first use."""

import json
import subprocess
import sys

from autolog._core._process import PROCESS, ProcessState, StatePart
from autolog.engine import autolog, integration_setting, set_integration_setting


class _Counter(StatePart):
    def __init__(self) -> None:
        self.count = 0


class _Undoing(StatePart):
    def __init__(self) -> None:
        self.undone = []

    def reset(self) -> None:
        self.undone.append("outside effect")


def test_a_part_is_made_once_and_reset_in_place():
    owner = ProcessState()
    counter = owner.part("counter", _Counter)
    counter.count = 3
    assert owner.part("counter", _Counter) is counter
    owner.reset()
    assert counter.count == 0 and owner.part("counter", _Counter) is counter


def test_reset_by_name_leaves_other_parts_and_runs_their_own_reset():
    owner = ProcessState()
    counter, undoing = owner.part("counter", _Counter), owner.part("undoing", _Undoing)
    counter.count = 5
    owner.reset("undoing", "never-created")
    assert counter.count == 5 and undoing.undone == ["outside effect"]


def test_every_autolog_call_resets_integration_settings():
    autolog()
    set_integration_setting("example", "log_every_n_step", 2)
    assert integration_setting("example", "log_every_n_step") == 2
    autolog()
    assert integration_setting("example", "log_every_n_step", "default") == "default"


def test_engine_reset_removes_patches():
    import json as json_module

    from autolog.engine import Patcher, is_autolog_wrapper
    from autolog.engine._state import STATE

    patcher = Patcher("example")
    STATE.patchers["example"] = patcher
    patcher.wrap(json_module, "dumps", lambda wrapped, instance, args, kwargs: wrapped(*args, **kwargs))
    assert is_autolog_wrapper(json_module.__dict__["dumps"])
    PROCESS.reset("engine")
    assert not is_autolog_wrapper(json_module.__dict__["dumps"]) and STATE.patchers == {}


def test_importing_and_enabling_registers_no_exit_handler_until_a_run_starts(tmp_path):
    code = """
import atexit, json
registered = []
register = atexit.register
def recording(function, *args, **kwargs):
    registered.append(getattr(function, "__module__", "") or "")
    return register(function, *args, **kwargs)
atexit.register = recording
import autolog, autolog.tracking, autolog.engine, autolog.context, autolog.models
autolog.autolog()
at_import = [m for m in registered if m.startswith("autolog")]
with autolog.start_run():
    pass
with autolog.start_run():
    pass
print(json.dumps([at_import, sorted(m for m in registered if m.startswith("autolog"))]))
"""
    env = {"AUTOLOG_STRICT": "1", "AUTOLOG_TRACKING_URI": str(tmp_path / "store"), "PATH": "/usr/bin:/bin"}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    at_import, after_runs = json.loads(output.stdout.strip().splitlines()[-1])
    assert at_import == []
    # Once each, however many runs: open runs are ended, pending run ends retried.
    assert after_runs == ["autolog.tracking._fluent", "autolog.tracking._heartbeat"]
