"""``autolog server`` (serve the team tracking server), ``autolog server token create`` and
``autolog sync`` (upload runs spooled while the server was unreachable)."""

from __future__ import annotations

from autolog._core._exceptions import InvalidInputError
from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation


@command(
    "server",
    help="serve the tracking server: REST API /api/v1 and the UI (see docs/server.md)",
    args=(
        arg(
            "action",
            nargs="*",
            metavar="ACTION",
            help="`token create --user NAME [--admin]` prints a new token once (only its hash is "
            "kept); `token revoke --user NAME` deletes the user's tokens and sessions; "
            "`permission set --user NAME (--experiment ID|--model NAME) --level LEVEL`",
        ),
        arg(
            "--backend-store-uri",
            metavar="URI",
            help="the store served: a directory, sqlite:///FILE or postgresql://... (default: --store)",
        ),
        arg("--artifact-root", metavar="DIR", help="where uploaded artifacts go"),
        arg("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"),
        arg("--port", type=int, default=5050, help="TCP port (default 5050)"),
        arg("--workers", type=int, default=1, help="uvicorn worker processes (default 1)"),
        arg(
            "--default-permission",
            default="READ",
            metavar="LEVEL",
            help="level of users on resources they were not granted: NONE, READ (default), EDIT, MANAGE",
        ),
        arg(
            "--insecure-no-auth",
            action="store_true",
            help="allow a non-loopback address while no token exists (anyone reaching it is admin)",
        ),
        arg(
            "--forwarded-allow-ips",
            metavar="IPS",
            help="trust X-Forwarded-* headers from these proxy addresses (comma-separated)",
        ),
        arg(
            "--allowed-host",
            metavar="NAME",
            action="append",
            default=[],
            help="a host name browsers use to reach the server (repeatable)",
        ),
        arg("--user", metavar="NAME", help="token create: the user the token belongs to"),
        arg("--admin", action="store_true", help="token create: the user is an admin"),
        arg("--experiment", metavar="ID", help="permission set: the experiment id"),
        arg("--model", metavar="NAME", help="permission set: the registered model name"),
        arg("--level", metavar="LEVEL", help="permission set: NONE, READ, EDIT or MANAGE"),
    ),
)
def server(ctx: Invocation) -> None:
    from autolog.tracking._uri import resolve_tracking_uri

    uri = ctx.args.backend_store_uri or resolve_tracking_uri(getattr(ctx.args, "store", None))
    if ctx.args.action:
        return _token_create(ctx, uri)
    from autolog.server import serve

    serve(
        uri,
        artifact_root=ctx.args.artifact_root,
        host=ctx.args.host,
        port=ctx.args.port,
        workers=ctx.args.workers,
        default_permission=ctx.args.default_permission,
        insecure_no_auth=ctx.args.insecure_no_auth,
        forwarded_allow_ips=ctx.args.forwarded_allow_ips,
        allowed_hosts=tuple(ctx.args.allowed_host),
    )


def _token_create(ctx: Invocation, uri: str) -> None:
    """The administration actions, run on the server's machine against its backend store."""
    action = " ".join(ctx.args.action)
    if action not in ("token create", "token revoke", "permission set"):
        raise InvalidInputError(
            f"unknown server action {action!r}: use `token create`, `token revoke` or `permission set`"
        )
    if not ctx.args.user:
        raise InvalidInputError(f"{action} needs --user NAME")
    from autolog.store import _server_auth, open_store

    store = open_store(uri, ctx.args.artifact_root)
    try:
        if action == "token create":
            ctx.echo(_server_auth.create_token(store, ctx.args.user, admin=ctx.args.admin))
        elif action == "token revoke":
            count = _server_auth.revoke_tokens(store, ctx.args.user)
            ctx.echo(f"revoked {count} token(s) and session(s) of {ctx.args.user!r}")
        else:
            _permission_set(ctx, store)
    finally:
        store.close()


def _permission_set(ctx: Invocation, store) -> None:
    from autolog.store import _server_auth

    if (ctx.args.experiment is None) == (ctx.args.model is None) or not ctx.args.level:
        raise InvalidInputError("permission set needs --level and one of --experiment ID or --model NAME")
    level = _server_auth.level_of(ctx.args.level)
    if ctx.args.experiment is not None:
        kind, resource = "experiment", store.get_experiment(ctx.args.experiment).experiment_id
    else:
        kind, resource = "registered_model", store.get_registered_model(ctx.args.model).name
    _server_auth.set_permission(store, kind, resource, ctx.args.user, level)
    ctx.echo(f"{ctx.args.user} has {ctx.args.level.upper()} on {kind.replace('_', ' ')} {resource!r}")


@command(
    "sync",
    help="upload runs spooled while the tracking server was unreachable (exactly once)",
    args=(
        arg(
            "--spool",
            metavar="DIR",
            help="the spool directory (default: $AUTOLOG_SPOOL_DIR, else ~/.autolog/spool)",
        ),
        arg("--dry-run", action="store_true", help="list what would be uploaded, upload nothing"),
    ),
)
def sync(ctx: Invocation) -> None:
    import os

    from autolog.store._http import HttpStore, _spool
    from autolog.tracking._uri import TRACKING_TOKEN_ENV, resolve_tracking_uri

    uri = resolve_tracking_uri(getattr(ctx.args, "store", None))
    if not uri.lower().startswith(("http://", "https://")):
        raise InvalidInputError(
            f"autolog sync uploads to a tracking server; the tracking URI is {uri!r} "
            "(set AUTOLOG_TRACKING_URI=http://host:port or pass --store)"
        )
    directory = os.path.abspath(ctx.args.spool) if ctx.args.spool else _spool.default_spool_dir()
    if not os.path.isdir(directory):
        ctx.echo(f"nothing to sync: no spool at {directory}")
        return
    spool = _spool.open_spool(directory)
    server = HttpStore(uri, os.environ.get(TRACKING_TOKEN_ENV) or None, background_logging=False)
    count = _spool.sync(spool, server, dry_run=ctx.args.dry_run, echo=ctx.echo)
    verb = "would sync" if ctx.args.dry_run else "synced"
    ctx.echo(f"{verb} {count} run(s) from {directory} to {uri}")
