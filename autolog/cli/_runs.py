"""``autolog runs list|show|delete|restore``."""

from __future__ import annotations

import sys

from autolog._core._constants import FAILURE_TAG, NOTE_TAG
from autolog._core._entities import Run, RunTag, ViewType
from autolog._core._exceptions import InvalidInputError, NotFoundError
from autolog.cli._commands import arg, command, group
from autolog.cli._invocation import Invocation
from autolog.cli._output import format_duration, format_number, format_table, format_time, run_to_dict

group("runs", "list, show and manage runs")

_PAGE_SIZE = 1000


@command(
    "runs",
    "list",
    help="list runs, newest first",
    json_output=True,
    args=(
        arg(
            "-e",
            "--experiment",
            metavar="EXP",
            action="append",
            help="experiment name or id (repeatable; default: every active experiment)",
        ),
        arg(
            "--filter",
            metavar="F",
            default="",
            help="search filter, e.g. \"metrics.acc > 0.9 and params.C = '1'\"",
        ),
        arg(
            "--order-by",
            metavar="K",
            nargs="+",
            action="extend",
            help="order keys, e.g. 'metrics.acc DESC' (several allowed)",
        ),
        arg("--max", metavar="N", type=int, default=100, help="at most N runs (default 100)"),
        arg(
            "--deleted",
            dest="view",
            action="store_const",
            const=ViewType.DELETED_ONLY,
            default=ViewType.ACTIVE_ONLY,
            help="only deleted runs",
        ),
        arg("--all", dest="view", action="store_const", const=ViewType.ALL, help="active and deleted runs"),
        arg(
            "--columns",
            metavar="COLS",
            default="",
            help="extra columns, comma-separated: metrics.KEY, params.KEY or tags.KEY (e.g. metrics.accuracy,params.C)",
        ),
    ),
)
def runs_list(ctx: Invocation) -> None:
    columns = _columns(ctx.args.columns)
    experiments = _experiments_by_id(ctx)
    runs, more = _search(ctx, list(experiments))
    if ctx.json:
        ctx.emit_json([run_to_dict(run) for run in runs])
        return
    rows = [
        _run_row(run, experiments) + tuple(_cell(run, kind, key) for kind, key in columns) for run in runs
    ]
    header = ("run id", "experiment", "name", "status", "started", "duration") + tuple(
        f"{k}.{key}" for k, key in columns
    )
    ctx.table(header, rows, empty="No runs.")
    if more:
        print(f"(showing the first {len(runs)} runs; raise --max to see more)", file=sys.stderr)


def _columns(spec: str) -> list[tuple[str, str]]:
    columns = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kind, _, key = item.partition(".")
        if kind not in ("metrics", "params", "tags") or not key:
            raise InvalidInputError(f"column {item!r} must be metrics.KEY, params.KEY or tags.KEY")
        columns.append((kind, key))
    return columns


def _cell(run: Run, kind: str, key: str) -> str:
    value = getattr(run.data, kind).get(key)
    return "-" if value is None else format_number(value)


def resolve_run_id(ctx: Invocation, ref: str) -> str:
    """A full run id from an id or a unique prefix of one (deleted runs included)."""
    try:
        return ctx.client.get_run(ref).info.run_id
    except NotFoundError:
        matches = ctx.client.store.find_run_ids(ref, limit=5)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidInputError(f"run id prefix {ref!r} is ambiguous: {', '.join(matches)}") from None
        raise


def _experiments_by_id(ctx: Invocation) -> dict[str, str]:
    if ctx.args.experiment:
        resolved = [ctx.experiment(ref) for ref in ctx.args.experiment]
    else:
        resolved = ctx.client.search_experiments(ViewType.ACTIVE_ONLY)
    return {e.experiment_id: e.name for e in resolved}


def _search(ctx: Invocation, experiment_ids: list[str]) -> tuple[list[Run], bool]:
    runs: list[Run] = []
    token = None
    limit = max(0, ctx.args.max)
    while experiment_ids and len(runs) < limit:
        page = ctx.client.search_runs(
            experiment_ids,
            ctx.args.filter,
            view_type=ctx.args.view,
            max_results=min(_PAGE_SIZE, limit - len(runs)),
            order_by=ctx.args.order_by,
            page_token=token,
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


@command(
    "runs",
    "show",
    help="show a run: info, params, metrics, tags",
    json_output=True,
    args=(arg("run_id", metavar="RUN", help="run id or a unique prefix of one"),),
)
def runs_show(ctx: Invocation) -> None:
    run = ctx.client.get_run(resolve_run_id(ctx, ctx.args.run_id))
    if ctx.json:
        ctx.emit_json(run_to_dict(run))
        return
    ctx.echo(_info_block(ctx, run))
    for title, values in (
        ("Params", run.data.params),
        ("Metrics", run.data.metrics),
        ("Tags", run.data.tags),
    ):
        ctx.echo()
        ctx.echo(f"{title} ({len(values)})")
        if values:
            rows = [(key, format_number(values[key])) for key in sorted(values)]
            ctx.echo(_indent(format_table(("key", "value"), rows)))


def _info_block(ctx: Invocation, run: Run) -> str:
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


@command(
    "runs",
    "delete",
    help="mark a run deleted (restore brings it back; gc purges it)",
    args=(
        arg("run_id", metavar="RUN", help="run id"),
        arg("--force", action="store_true", help="delete even if registered model versions point to the run"),
    ),
)
def runs_delete(ctx: Invocation) -> None:
    run_id = resolve_run_id(ctx, ctx.args.run_id)
    ctx.client.delete_run(run_id, force=ctx.args.force)
    ctx.echo(f"Deleted run {run_id}.")


@command("runs", "restore", help="restore a deleted run", args=(arg("run_id", metavar="RUN", help="run id"),))
def runs_restore(ctx: Invocation) -> None:
    run_id = resolve_run_id(ctx, ctx.args.run_id)
    ctx.client.restore_run(run_id)
    ctx.echo(f"Restored run {run_id}.")


@command(
    "runs",
    "rename",
    help="rename a run",
    args=(arg("run_id", metavar="RUN", help="run id or a unique prefix"), arg("name", help="the new name")),
)
def runs_rename(ctx: Invocation) -> None:
    run_id = resolve_run_id(ctx, ctx.args.run_id)
    if not ctx.args.name.strip():
        raise InvalidInputError("the new name must not be empty")
    ctx.client.update_run(run_id, run_name=ctx.args.name.strip())
    ctx.echo(f"Renamed run {run_id} to {ctx.args.name.strip()!r}.")


@command(
    "runs",
    "tag",
    help="set tags (KEY=VALUE) on a run, or remove them (--delete KEY)",
    args=(
        arg("run_id", metavar="RUN", help="run id or a unique prefix"),
        arg("tags", metavar="KEY=VALUE", nargs="*", help="tags to set"),
        arg("--delete", metavar="KEY", action="append", default=[], help="a tag to remove (repeatable)"),
    ),
)
def runs_tag(ctx: Invocation) -> None:
    run_id = resolve_run_id(ctx, ctx.args.run_id)
    pairs = []
    for item in ctx.args.tags:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"expected KEY=VALUE, got {item!r}")
        pairs.append((key.strip(), value))
    if not pairs and not ctx.args.delete:
        raise InvalidInputError("give tags as KEY=VALUE or --delete KEY")
    if pairs:
        ctx.client.log_batch(run_id, tags=[RunTag(key, value) for key, value in pairs])
    for key in ctx.args.delete:
        ctx.client.delete_tag(run_id, key)
    ctx.echo(f"Run {run_id}: {len(pairs)} tag(s) set, {len(ctx.args.delete)} removed.")


@command(
    "runs",
    "note",
    help="set a run's markdown note (tag mlflow.note.content); '-' reads stdin, '' removes it",
    args=(
        arg("run_id", metavar="RUN", help="run id or a unique prefix"),
        arg("text", nargs="?", help="the note (markdown); omit to print the current note"),
    ),
)
def runs_note(ctx: Invocation) -> None:
    run_id = resolve_run_id(ctx, ctx.args.run_id)
    if ctx.args.text is None:
        ctx.echo(ctx.client.get_run(run_id).data.tags.get(NOTE_TAG, ""))
        return
    text = sys.stdin.read() if ctx.args.text == "-" else ctx.args.text
    if text.strip():
        ctx.client.set_tag(run_id, NOTE_TAG, text)
        ctx.echo(f"Note set on run {run_id}.")
    elif NOTE_TAG in ctx.client.get_run(run_id).data.tags:
        ctx.client.delete_tag(run_id, NOTE_TAG)
        ctx.echo(f"Note removed from run {run_id}.")
