"""``autolog runs reproduce RUN``: rerun a recorded run from what it recorded, then diff.

The recorded commit is checked out in a temporary ``git worktree`` (the user's checkout is never
touched), the recorded uncommitted diff (``code/git_diff.patch``) applied, and the recorded
entry point run with the recorded argv, into the same experiment. Runs the child creates are
tagged ``autolog.reproduces=RUN``. Git runs with hooks, fsmonitor and external diff programs
disabled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autolog._core._entities import Run, ViewType
from autolog._core._exceptions import AutologError, InvalidInputError

REPRODUCES_TAG = "autolog.reproduces"
# Markers a redacted argv value may carry (the context layer may define its own: see _markers).
REDACTED_MARKERS = ("[REDACTED]", "<redacted>", "***")
_GIT_SAFETY = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "diff.external=",
    "-c",
    "core.sshCommand=false",
    "-c",
    "protocol.allow=never",
)
_GIT_TIMEOUT = 120


class ReproduceError(AutologError):
    """The run cannot be reproduced (no commit, commit not found, not a file entry point, ...)."""


@dataclass
class Plan:
    """What the recorded run says to run."""

    run: Run
    commit: str
    repo: str
    script: str  # path of the entry point inside the repository
    argv: list
    patch: str | None = None  # the recorded uncommitted diff, when there was one


@dataclass
class Reproduction:
    original: str
    new_runs: list = field(default_factory=list)
    new_run: str | None = None
    exit_code: int | None = None
    environment: list = field(default_factory=list)  # (package, recorded, now)
    data_changes: list = field(default_factory=list)
    diff: Any = None


def _markers() -> tuple:
    from autolog import context

    own = [
        getattr(context, name)
        for name in ("REDACTED", "REDACTED_MARKER", "REDACTION_MARKER")
        if isinstance(getattr(context, name, None), str)
    ]
    return tuple(own) + REDACTED_MARKERS


def plan_reproduction(client: Any, run_id: str, *, cwd: str, overrides: dict) -> Plan:
    """Read what the run recorded and check it can be rerun; ``ReproduceError`` says why not."""
    run = client.get_run(run_id)
    tags = run.data.tags
    commit = tags.get("autolog.git.commit")
    if not commit:
        raise ReproduceError(f"run {run_id} recorded no git commit: it did not run from a git checkout")
    repo = _repository(cwd) or _repository(tags.get("autolog.git.repo") or "")
    if repo is None:
        raise ReproduceError(f"{cwd} is not inside a git repository (run from your checkout of the project)")
    if _git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        raise ReproduceError(
            f"commit {commit} of run {run_id} is not in the repository at {repo} (git fetch it first)"
        )
    script = _entry_point(run_id, tags, repo)
    argv = _resolved_argv(json.loads(tags.get("autolog.source.argv") or "[]")[1:], overrides)
    return Plan(run, commit, repo, script, argv, _recorded_patch(client, run))


def _repository(path: str) -> str | None:
    if not path or not os.path.isdir(path):
        return None
    done = _git(path, "rev-parse", "--show-toplevel", check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _entry_point(run_id: str, tags: dict, repo: str) -> str:
    source = tags.get("autolog.source.name") or ""
    if not source or source.startswith("<") or not source.endswith(".py"):
        raise ReproduceError(
            f"the entry point of run {run_id} was not a file ({source or 'none recorded'}): "
            "a notebook, `python -c` or an interactive session cannot be rerun"
        )
    recorded_repo = tags.get("autolog.git.repo") or repo
    relative = os.path.relpath(source, recorded_repo)
    if relative.startswith(os.pardir):
        raise ReproduceError(
            f"the entry point {source} of run {run_id} is outside its repository {recorded_repo}"
        )
    return relative


def _resolved_argv(argv: list, overrides: dict) -> list:
    markers = _markers()
    resolved, missing, previous = [], [], None
    for item in argv:
        name = _redacted_name(item, previous, markers)
        if name is None:
            resolved.append(item)
        elif name in overrides:
            resolved.append(f"{item.split('=', 1)[0]}={overrides[name]}" if "=" in item else overrides[name])
        else:
            missing.append(name)
            resolved.append(item)
        previous = item
    if missing:
        raise ReproduceError(
            "the run's command line has redacted values for: "
            + ", ".join(missing)
            + "; give them with "
            + " ".join(f"--arg {m}=VALUE" for m in missing)
        )
    return resolved


def _redacted_name(item: str, previous: str | None, markers: tuple) -> str | None:
    if not any(marker in item for marker in markers):
        return None
    if item.startswith("-") and "=" in item:
        return item.split("=", 1)[0].lstrip("-")
    if previous and previous.startswith("-"):
        return previous.split("=", 1)[0].lstrip("-")
    return item


def _recorded_patch(client: Any, run: Run) -> str | None:
    location = run.data.tags.get("autolog.git.diff_artifact")
    if not location:
        return None
    holder, _, path = location[len("runs:/") :].partition("/")
    with tempfile.TemporaryDirectory(prefix="autolog-patch-") as tmp:
        local = client.download_artifacts(holder, path, tmp)
        with open(local, encoding="utf-8") as f:
            return f.read()


def _git(repo: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    done = subprocess.run(
        ["git", *_GIT_SAFETY, "-C", repo, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=_GIT_TIMEOUT,
    )
    if check and done.returncode != 0:
        raise ReproduceError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


def environment_changes(client: Any, run: Run, python: str) -> list:
    """``[(package, recorded version, version in python)]`` for every recorded package that differs."""
    from autolog._run_diff import _versions

    recorded = {k: v for k, v in _versions(run, client).items() if k not in ("autolog", "framework")}
    current = _installed_versions(python, sorted(recorded))
    return [
        (name, recorded[name], current.get(name))
        for name in sorted(recorded)
        if current.get(name) != recorded[name]
    ]


def _installed_versions(python: str, names: list) -> dict:
    code = (
        "import json, sys, platform, importlib.metadata as m\n"
        "out = {}\n"
        "for n in json.loads(sys.argv[1]):\n"
        "    try: out[n] = platform.python_version() if n == 'python' else m.version(n)\n"
        "    except Exception: pass\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [python, "-c", code, json.dumps(names)], capture_output=True, text=True, timeout=120
    )
    return json.loads(done.stdout or "{}")


def make_venv(pins: Sequence[tuple], directory: str) -> str:
    """A virtualenv in ``directory`` with the recorded versions (pip), autolog from this install."""
    import autolog

    subprocess.run([sys.executable, "-m", "venv", directory], check=True, capture_output=True)
    python = os.path.join(directory, "bin", "python")
    requirements = [f"{name}=={version}" for name, version in pins if name != "python"]
    project = os.path.dirname(os.path.dirname(os.path.abspath(autolog.__file__)))
    subprocess.run([python, "-m", "pip", "install", "-q", *requirements, "-e", project], check=True)
    return python


def run_in_worktree(client: Any, plan: Plan, *, python: str, output: Any) -> tuple:
    """Check the commit out in a temporary worktree, apply the diff, run the entry point.

    Returns ``(exit code, ids of the runs it created)``; the worktree is removed afterwards.
    """
    workdir = tempfile.mkdtemp(prefix="autolog-reproduce-")
    tree = os.path.join(workdir, "tree")
    _git(plan.repo, "worktree", "add", "--detach", tree, plan.commit)
    try:
        if plan.patch:
            patch_file = os.path.join(workdir, "recorded.patch")
            with open(patch_file, "w", encoding="utf-8") as f:
                f.write(plan.patch)
            _git(tree, "apply", "--whitespace=nowarn", patch_file)
        started = int(time.time() * 1000)
        env = {
            **os.environ,
            "AUTOLOG_TRACKING_URI": client.tracking_uri,
            "AUTOLOG_EXPERIMENT_ID": plan.run.info.experiment_id,
        }
        env.pop("AUTOLOG_EXPERIMENT_NAME", None)
        code = _run_streaming([python, os.path.join(tree, plan.script), *plan.argv], tree, env, output)
        new_runs = _runs_started_since(client, plan.run.info.experiment_id, started, tree)
    finally:
        _git(plan.repo, "worktree", "remove", "--force", tree, check=False)
        _git(plan.repo, "worktree", "prune", check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    for run_id in new_runs:
        client.set_tag(run_id, REPRODUCES_TAG, plan.run.info.run_id)
    return code, new_runs


def _run_streaming(command: list, cwd: str, env: dict, output: Any) -> int:
    """Run ``command``, copying its stdout and stderr line by line to the text stream ``output``."""
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            output.write(line)
            output.flush()
    return process.returncode


def _runs_started_since(client: Any, experiment_id: str, started: int, tree: str) -> list:
    found = client.search_runs(
        [experiment_id], f"attributes.start_time >= {started}", view_type=ViewType.ALL, max_results=1000
    )
    return [
        run.info.run_id
        for run in found
        if (run.data.tags.get("autolog.source.name") or "").startswith(os.path.join(tree, ""))
    ]


def matching_run(client: Any, original: Run, new_runs: list) -> str | None:
    """The new run that corresponds to the original: same name and parent-ness, else the first."""
    runs = [client.get_run(run_id) for run_id in new_runs]
    is_child = original.info.parent_run_id is not None
    for run in runs:
        if run.info.run_name == original.info.run_name and (run.info.parent_run_id is not None) == is_child:
            return run.info.run_id
    candidates = [r for r in runs if (r.info.parent_run_id is not None) == is_child] or runs
    return candidates[0].info.run_id if candidates else None


def parse_overrides(items: Sequence[str]) -> dict:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInputError(f"--arg {item!r}: expected NAME=VALUE")
        overrides[name.lstrip("-")] = value
    return overrides
