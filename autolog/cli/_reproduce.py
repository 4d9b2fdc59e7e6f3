"""``autolog runs reproduce RUN``: rerun a run from its recorded commit, diff and argv."""

from __future__ import annotations

import os
import sys
import tempfile

from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation


@command(
    "runs",
    "reproduce",
    json_output=True,
    help="rerun a run from its recorded commit, uncommitted diff and command line, then show what changed",
    args=(
        arg("run_id", metavar="RUN", help="the run to reproduce"),
        arg(
            "--arg",
            metavar="NAME=VALUE",
            action="append",
            default=[],
            dest="overrides",
            help="value of a command-line option the run recorded as redacted (repeatable)",
        ),
        arg(
            "--env",
            choices=("current", "venv"),
            default="current",
            help="run in this Python (default) or in a new virtualenv with the recorded versions",
        ),
    ),
)
def runs_reproduce(ctx: Invocation) -> int:
    from autolog import _reproduce as reproduce

    plan = reproduce.plan_reproduction(
        ctx.client, ctx.args.run_id, cwd=os.getcwd(), overrides=reproduce.parse_overrides(ctx.args.overrides)
    )
    say = (lambda text="": print(text, file=sys.stderr)) if ctx.json else ctx.echo
    changes = reproduce.environment_changes(ctx.client, plan.run, sys.executable)
    _print_environment(say, changes, "this Python")
    with tempfile.TemporaryDirectory(prefix="autolog-venv-") as venv:
        python = sys.executable
        if ctx.args.env == "venv":
            say(f"Creating a virtualenv with the recorded versions in {venv} ...")
            python = reproduce.make_venv(
                [(name, recorded) for name, recorded, _ in changes if recorded], venv
            )
            changes = reproduce.environment_changes(ctx.client, plan.run, python)
            _print_environment(say, changes, "the virtualenv")
        say(
            f"Running {plan.script} {' '.join(plan.argv)} at {plan.commit[:12]}"
            f"{' with the recorded uncommitted diff' if plan.patch else ''} ..."
        )
        sys.stdout.flush()
        code, new_runs = reproduce.run_in_worktree(
            ctx.client, plan, python=python, output=sys.stderr if ctx.json else ctx.out
        )
    new_run = reproduce.matching_run(ctx.client, plan.run, new_runs)
    if new_run is None:
        return _no_run(ctx, say, plan, code, changes)
    from autolog.diff import diff_runs

    diff = diff_runs(plan.run, new_run, client=ctx.client)
    if ctx.json:
        ctx.emit_json(_as_json(plan, code, new_runs, new_run, changes, diff))
    else:
        _print_result(ctx, code, new_run, diff)
    return 0 if code == 0 else 1


def _print_environment(say, changes: list, where: str) -> None:
    if not changes:
        say(f"Environment: {where} has the recorded package versions.")
        return
    say(f"Environment: {len(changes)} package(s) differ from the recorded ones in {where}:")
    for name, recorded, now in changes:
        say(f"  {name}: recorded {recorded}, now {now or 'not installed'}")


def _changed_data(diff) -> list:
    return [d for d in diff.data if d.same_data is False]


def _print_result(ctx: Invocation, code: int, new_run: str, diff) -> None:
    from autolog.cli._ui import _code, _data, _environment, _header, _metrics, _params

    ctx.echo(f"\nReproduction {'finished' if code == 0 else f'exited with status {code}'}: run {new_run}")
    for dataset in _changed_data(diff):
        ctx.echo(
            f"DATA CHANGED: {dataset.name or 'dataset'}: fingerprint {dataset.digest_a[:12]} -> "
            f"{dataset.digest_b[:12]} (shape {dataset.shape_a} -> {dataset.shape_b})"
        )
    ctx.echo()
    ctx.args.patch = False  # the code block's option of `runs diff`
    for block in (_header, _metrics, _params, _data, _code, _environment):
        ctx.echo(block(diff, ctx.args))
        ctx.echo()


def _as_json(plan, code, new_runs, new_run, changes, diff) -> dict:
    return {
        "reproduces": plan.run.info.run_id,
        "commit": plan.commit,
        "entry_point": plan.script,
        "argv": plan.argv,
        "applied_diff": bool(plan.patch),
        "exit_code": code,
        "new_runs": new_runs,
        "new_run": new_run,
        "environment": [{"package": n, "recorded": r, "now": c} for n, r, c in changes],
        "data_changed": [d.name for d in _changed_data(diff)],
        "diff": diff.to_dict(),
    }


def _no_run(ctx, say, plan, code: int, changes: list) -> int:
    message = f"the rerun (exit status {code}) recorded no run in experiment {plan.run.info.experiment_id}"
    if ctx.json:
        ctx.emit_json(
            {"reproduces": plan.run.info.run_id, "exit_code": code, "new_runs": [], "error": message}
        )
    else:
        say(f"autolog: {message}")
    return 1
