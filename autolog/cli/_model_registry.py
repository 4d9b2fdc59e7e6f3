"""``autolog models list|show|register|alias|delete``: the model registry from the command line."""

from __future__ import annotations

from autolog._core._entities import ModelVersion, RegisteredModel
from autolog._core._exceptions import InvalidInputError
from autolog.cli._commands import arg, command, group
from autolog.cli._invocation import Invocation
from autolog.cli._output import format_time

group("models", "the model registry: named models, versions and aliases")


def model_to_dict(model: RegisteredModel) -> dict:
    return {
        "name": model.name,
        "latest_version": model.latest_version,
        "aliases": dict(model.aliases),
        "description": model.description,
        "tags": dict(model.tags),
        "creation_time": model.creation_time,
        "last_update_time": model.last_update_time,
    }


def version_to_dict(version: ModelVersion) -> dict:
    return {
        "name": version.name,
        "version": version.version,
        "run_id": version.run_id,
        "artifact_path": version.artifact_path,
        "source": version.source,
        "status": version.status,
        "aliases": list(version.aliases),
        "description": version.description,
        "tags": dict(version.tags),
        "creation_time": version.creation_time,
        "last_update_time": version.last_update_time,
    }


def _aliases_text(aliases: dict) -> str:
    return ", ".join(f"{alias} -> v{version}" for alias, version in sorted(aliases.items()))


@command(
    "models",
    "list",
    help="list registered models",
    json_output=True,
    args=(
        arg(
            "--filter", metavar="F", default="", help="e.g. \"name LIKE 'churn%%'\" or \"tags.team = 'risk'\""
        ),
    ),
)
def models_list(ctx: Invocation) -> None:
    models = ctx.client.search_registered_models(ctx.args.filter)
    if ctx.json:
        ctx.emit_json([model_to_dict(m) for m in models])
        return
    rows = [
        (m.name, m.latest_version, _aliases_text(m.aliases), format_time(m.last_update_time), m.description)
        for m in models
    ]
    ctx.table(("name", "latest", "aliases", "updated", "description"), rows, empty="No registered models.")


@command(
    "models",
    "show",
    help="show a registered model and its versions",
    json_output=True,
    args=(arg("name", metavar="NAME", help="registered model name"),),
)
def models_show(ctx: Invocation) -> None:
    model = ctx.client.get_registered_model(ctx.args.name)
    versions = ctx.client.search_model_versions(model.name)
    if ctx.json:
        ctx.emit_json({**model_to_dict(model), "versions": [version_to_dict(v) for v in versions]})
        return
    ctx.echo(f"Model:       {model.name}")
    ctx.echo(f"Description: {model.description or '-'}")
    ctx.echo(f"Aliases:     {_aliases_text(model.aliases) or '-'}")
    ctx.echo(f"Created:     {format_time(model.creation_time)}")
    ctx.echo(f"Updated:     {format_time(model.last_update_time)}")
    if model.tags:
        ctx.echo("Tags:        " + ", ".join(f"{k}={v}" for k, v in sorted(model.tags.items())))
    ctx.echo()
    rows = [
        (v.version, ", ".join(v.aliases), v.run_id, v.status, format_time(v.creation_time), v.description)
        for v in versions
    ]
    ctx.table(("version", "aliases", "run", "status", "created", "description"), rows, empty="No versions.")


@command(
    "models",
    "register",
    help="register a run's model as a new version of NAME",
    json_output=True,
    args=(
        arg("model_uri", metavar="RUN_URI", help="runs:/<run_id>/<path>, e.g. runs:/<run_id>/model"),
        arg("name", metavar="NAME", help="registered model name (created on first use)"),
        arg("--description", metavar="TEXT", default=None, help="description of the new version"),
    ),
)
def models_register(ctx: Invocation) -> None:
    version = ctx.client.register_model(ctx.args.model_uri, ctx.args.name, description=ctx.args.description)
    if ctx.json:
        ctx.emit_json(version_to_dict(version))
        return
    ctx.echo(f"Registered {version.name} version {version.version} from {version.source}.")
    ctx.echo(f'Load it with autolog.load_model("models:/{version.name}/{version.version}").')


@command(
    "models",
    "alias",
    help="point ALIAS at VERSION of NAME (or remove it with --delete)",
    json_output=True,
    args=(
        arg("name", metavar="NAME", help="registered model name"),
        arg("alias", metavar="ALIAS", help="alias, e.g. champion"),
        arg("version", metavar="VERSION", nargs="?", default=None, help="version number (not with --delete)"),
        arg("--delete", action="store_true", help="remove the alias"),
    ),
)
def models_alias(ctx: Invocation) -> None:
    name, alias, version = ctx.args.name, ctx.args.alias, ctx.args.version
    if ctx.args.delete:
        if version is not None:
            raise InvalidInputError("give either VERSION or --delete, not both")
        ctx.client.delete_registered_model_alias(name, alias)
        _report(ctx, {"name": name, "alias": alias, "version": None}, f"Removed alias {alias!r} of {name}.")
        return
    if version is None:
        raise InvalidInputError("give the VERSION the alias points at (or --delete to remove it)")
    ctx.client.set_registered_model_alias(name, alias, version)
    number = ctx.client.get_model_version_by_alias(name, alias).version
    _report(
        ctx,
        {"name": name, "alias": alias, "version": number},
        f"{name}@{alias} -> version {number} (models:/{name}@{alias}).",
    )


@command(
    "models",
    "delete",
    help="delete a registered model, or one version with --version",
    json_output=True,
    args=(
        arg("name", metavar="NAME", help="registered model name"),
        arg("--version", metavar="N", default=None, help="delete only this version"),
    ),
)
def models_delete(ctx: Invocation) -> None:
    name, version = ctx.args.name, ctx.args.version
    if version is None:
        ctx.client.delete_registered_model(name)
        _report(ctx, {"name": name, "deleted": "model"}, f"Deleted registered model {name} and its versions.")
    else:
        ctx.client.delete_model_version(name, version)
        _report(
            ctx,
            {"name": name, "deleted": "version", "version": int(version)},
            f"Deleted version {version} of {name}.",
        )


def _report(ctx: Invocation, value: dict, message: str) -> None:
    if ctx.json:
        ctx.emit_json(value)
    else:
        ctx.echo(message)
