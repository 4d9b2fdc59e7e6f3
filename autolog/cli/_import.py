"""``autolog import mlflow SOURCE``: copy an MLflow tracking store into the autolog store."""

from __future__ import annotations

import sys

from autolog.cli._commands import arg, command, group
from autolog.cli._invocation import Invocation

group("import", "import runs from another tracker")


@command(
    "import",
    "mlflow",
    json_output=True,
    help="import experiments, runs, metrics, artifacts and models from an MLflow tracking URI",
    args=(
        arg(
            "source",
            metavar="SOURCE",
            help="MLflow tracking URI: sqlite:///mlflow.db, ./mlruns, postgresql://..., http://host:port",
        ),
        arg(
            "--experiment",
            "-e",
            metavar="NAME",
            action="append",
            default=[],
            help="only this MLflow experiment (repeatable)",
        ),
        arg("--dry-run", action="store_true", help="count what would be imported; write nothing"),
        arg(
            "--mlflow-python",
            metavar="PATH",
            help="a Python with mlflow installed to read the source (default: this one)",
        ),
        arg("--no-progress", action="store_true", help="no progress bar on stderr"),
    ),
)
def import_mlflow_command(ctx: Invocation) -> int:
    from autolog.importers import import_mlflow

    args = ctx.args
    report = import_mlflow(
        args.source,
        tracking_uri=ctx.client.tracking_uri,
        experiments=args.experiment,
        dry_run=args.dry_run,
        mlflow_python=args.mlflow_python,
        progress=None if args.no_progress or ctx.json else sys.stderr,
    )
    if ctx.json:
        ctx.emit_json(report.to_dict())
    else:
        _print_report(ctx, report)
    return 1 if report.failed else 0


def _print_report(ctx: Invocation, report) -> None:
    data = report.to_dict()
    verb = "Would import" if report.dry_run else "Imported"
    counts = (
        ", ".join(
            f"{value} {key.replace('_', ' ')}"
            for key, value in data["imported"].items()
            if key != "mlflow_version"
        )
        or "nothing"
    )
    ctx.echo(f"{verb} from {report.source} (MLflow {data['imported'].get('mlflow_version', '?')}): {counts}")
    for title, items in (("Skipped", data["skipped"]), ("Failed", data["failed"])):
        ctx.echo(f"{title}: {len(items)}")
        for item in items[:50]:
            ctx.echo(f"  {item['item']}: {item['reason']}")
        if len(items) > 50:
            ctx.echo(f"  ... and {len(items) - 50} more (--json lists all)")
    if report.plain_models:
        ctx.echo(
            "Models imported as plain artifacts (not scikit-learn; autolog.load_model cannot load them):"
        )
        for model in report.plain_models:
            ctx.echo(f"  {model}")
