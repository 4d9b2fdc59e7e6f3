"""``autolog runs list|show|delete|restore``."""

from __future__ import annotations

import sys

from autolog.cli._context import CommandContext
from autolog.cli._output import format_duration, format_number, format_table, format_time, run_to_dict
from autolog.cli._registry import arg, command, group
from autolog._core._constants import FAILURE_TAG
from autolog._core._entities import Run, ViewType

group("runs", "list, show and manage runs")

_PAGE_SIZE = 1000


@command(
    "runs", "list", help="list runs, newest first", json_output=True,
    args=(
        arg("-e", "--experiment", metavar="EXP", action="append",
            help="experiment name or id (repeatable; default: every active experiment)"),
        arg("--filter", metavar="F", default="", help="search filter, e.g. \"metrics.acc > 0.9 and params.C = '1'\""),
        arg("--order-by", metavar="K", nargs="+", action="extend",
            help="order keys, e.g. 'metrics.acc DESC' (several allowed)"),
        arg("--max", metavar="N", type=int, default=100, help="at most N runs (default 100)"),
        arg("--deleted", dest="view", action="store_const", const=ViewType.DELETED_ONLY,
            default=ViewType.ACTIVE_ONLY, help="only deleted runs"),
        arg("--all", dest="view", action="store_const", const=ViewType.ALL, help="active and deleted runs"),
    ),
)
def runs_list(ctx: CommandContext) -> None:
    experiments = _experiments_by_id(ctx)
    runs, more = _search(ctx, list(experiments))
    if ctx.json:
        ctx.emit_json([run_to_dict(run) for run in runs])
        return
    rows = [_run_row(run, experiments) for run in runs]
    ctx.table(("run id", "experiment", "name", "status", "started", "duration"), rows, empty="No runs.")
    if more:
        print(f"(showing the first {len(runs)} runs; raise --max to see more)", file=sys.stderr)


def _experiments_by_id(ctx: CommandContext) -> dict[str, str]:
    if ctx.args.experiment:
        resolved = [ctx.experiment(ref) for ref in ctx.args.experiment]
    else:
        resolved = ctx.client.search_experiments(ViewType.ACTIVE_ONLY)
    return {e.experiment_id: e.name for e in resolved}


def _search(ctx: CommandContext, experiment_ids: list[str]) -> tuple[list[Run], bool]:
    runs: list[Run] = []
    token = None
    limit = max(0, ctx.args.max)
    while experiment_ids and len(runs) < limit:
        page = ctx.client.search_runs(
            experiment_ids, ctx.args.filter, view_type=ctx.args.view,
            max_results=min(_PAGE_SIZE, limit - len(runs)), order_by=ctx.args.order_by, page_token=token,
        )
        runs.extend(page)
        token = page.token
        if token is None or not page:
            break
    return runs, token is not None


def _run_row(run: Run, experiments: dict[str, str]) -> tuple:
    info = run.info
    return (
        info.run_id,
        experiments.get(info.experiment_id, info.experiment_id),
        info.run_name,
        info.status,
        format_time(info.start_time),
        format_duration(info.start_time, info.end_time),
    )


@command("runs", "show", help="show a run: info, params, metrics, tags", json_output=True,
         args=(arg("run_id", metavar="RUN", help="run id"),))
def runs_show(ctx: CommandContext) -> None:
    run = ctx.client.get_run(ctx.args.run_id)
    if ctx.json:
        ctx.emit_json(run_to_dict(run))
        return
    ctx.echo(_info_block(ctx, run))
    for title, values in (("Params", run.data.params), ("Metrics", run.data.metrics), ("Tags", run.data.tags)):
        ctx.echo()
        ctx.echo(f"{title} ({len(values)})")
        if values:
            rows = [(key, format_number(values[key])) for key in sorted(values)]
            ctx.echo(_indent(format_table(("key", "value"), rows)))


def _info_block(ctx: CommandContext, run: Run) -> str:
    info = run.info
    try:
        experiment = f"{ctx.client.get_experiment(info.experiment_id).name} (id {info.experiment_id})"
    except Exception:  # the header must not fail because of a vanished experiment
        experiment = info.experiment_id
    fields = [
        ("Run", info.run_id),
        ("Name", info.run_name or "-"),
        ("Experiment", experiment),
        ("Status", info.status),
        ("Lifecycle", info.lifecycle_stage),
        ("Started", format_time(info.start_time)),
        ("Ended", format_time(info.end_time)),
        ("Duration", format_duration(info.start_time, info.end_time)),
        ("User", info.user_id or "-"),
        ("Source", info.source or "-"),
        ("Parent", info.parent_run_id or "-"),
        ("Artifacts", info.artifact_uri),
    ]
    error = run.data.tags.get(FAILURE_TAG)
    if error:
        fields.insert(4, ("Error", error))
    width = max(len(label) for label, _ in fields) + 1
    return "\n".join(f"{(label + ':').ljust(width)} {value}" for label, value in fields)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


@command("runs", "delete", help="mark a run deleted (restore brings it back; gc purges it)",
         args=(arg("run_id", metavar="RUN", help="run id"),
               arg("--force", action="store_true",
                   help="delete even if registered model versions point to the run")))
def runs_delete(ctx: CommandContext) -> None:
    ctx.client.delete_run(ctx.args.run_id, force=ctx.args.force)
    ctx.echo(f"Deleted run {ctx.args.run_id}.")


@command("runs", "restore", help="restore a deleted run", args=(arg("run_id", metavar="RUN", help="run id"),))
def runs_restore(ctx: CommandContext) -> None:
    ctx.client.restore_run(ctx.args.run_id)
    ctx.echo(f"Restored run {ctx.args.run_id}.")
