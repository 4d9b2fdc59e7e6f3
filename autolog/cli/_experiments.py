"""``autolog experiments list|create|rename|delete|restore``."""

from __future__ import annotations

from autolog._core._entities import ViewType
from autolog.cli._commands import arg, command, group
from autolog.cli._invocation import Invocation
from autolog.cli._output import experiment_to_dict, format_time

group("experiments", "list and manage experiments")

_VIEW_ARGS = (
    arg(
        "--deleted",
        dest="view",
        action="store_const",
        const=ViewType.DELETED_ONLY,
        default=ViewType.ACTIVE_ONLY,
        help="only deleted experiments",
    ),
    arg(
        "--all", dest="view", action="store_const", const=ViewType.ALL, help="active and deleted experiments"
    ),
)


@command("experiments", "list", help="list experiments", args=_VIEW_ARGS, json_output=True)
def experiments_list(ctx: Invocation) -> None:
    experiments = ctx.client.search_experiments(ctx.args.view)
    if ctx.json:
        ctx.emit_json([experiment_to_dict(e) for e in experiments])
        return
    rows = [
        (e.experiment_id, e.name, e.lifecycle_stage, format_time(e.creation_time), e.artifact_location)
        for e in experiments
    ]
    ctx.table(("id", "name", "stage", "created", "artifact location"), rows, empty="No experiments.")


@command(
    "experiments",
    "create",
    help="create an experiment and print its id",
    json_output=True,
    args=(
        arg("name", help="experiment name"),
        arg("--artifact-location", metavar="URI", help="where its runs' artifacts go"),
    ),
)
def experiments_create(ctx: Invocation) -> None:
    experiment_id = ctx.client.create_experiment(ctx.args.name, artifact_location=ctx.args.artifact_location)
    if ctx.json:
        ctx.emit_json({"experiment_id": experiment_id, "name": ctx.args.name})
    else:
        ctx.echo(f"Created experiment {ctx.args.name!r} with id {experiment_id}.")


@command(
    "experiments",
    "rename",
    help="rename an experiment",
    args=(
        arg("experiment", metavar="EXP", help="experiment name or id"),
        arg("new_name", help="the new name"),
    ),
)
def experiments_rename(ctx: Invocation) -> None:
    experiment = ctx.experiment(ctx.args.experiment)
    ctx.client.rename_experiment(experiment.experiment_id, ctx.args.new_name)
    ctx.echo(
        f"Renamed experiment {experiment.name!r} (id {experiment.experiment_id}) to {ctx.args.new_name!r}."
    )


@command(
    "experiments",
    "delete",
    help="mark an experiment deleted (restore brings it back)",
    args=(arg("experiment", metavar="EXP", help="experiment name or id"),),
)
def experiments_delete(ctx: Invocation) -> None:
    experiment = ctx.experiment(ctx.args.experiment)
    ctx.client.delete_experiment(experiment.experiment_id)
    ctx.echo(f"Deleted experiment {experiment.name!r} (id {experiment.experiment_id}).")


@command(
    "experiments",
    "restore",
    help="restore a deleted experiment",
    args=(arg("experiment", metavar="EXP", help="experiment name or id"),),
)
def experiments_restore(ctx: Invocation) -> None:
    experiment = ctx.experiment(ctx.args.experiment)
    ctx.client.restore_experiment(experiment.experiment_id)
    ctx.echo(f"Restored experiment {experiment.name!r} (id {experiment.experiment_id}).")
