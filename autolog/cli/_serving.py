"""``autolog models serve`` and ``autolog models predict``: a logged model without Python code."""

from __future__ import annotations

import os
import sys
import tempfile

from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation

_MODEL_URI = arg(
    "model_uri",
    metavar="MODEL_URI",
    help="runs:/<run_id>/model, models:/<name>@<alias>, models:/<name>/<N> or a model directory",
)


@command(
    "models",
    "serve",
    help="serve a model over HTTP (MLflow's /invocations protocol)",
    args=(
        _MODEL_URI,
        arg(
            "--host",
            default="127.0.0.1",
            help="address to listen on (default 127.0.0.1; others need --token-file)",
        ),
        arg("--port", type=int, default=5001, help="port (default 5001)"),
        arg("--workers", type=int, default=1, help="worker processes, each with its own copy of the model"),
        arg(
            "--token-file",
            metavar="FILE",
            default=None,
            help="file holding a bearer token that every request but /ping must send",
        ),
        arg("--max-body-mb", type=float, default=10.0, help="largest request body in MiB (default 10)"),
        arg("--max-rows", type=int, default=100_000, help="most rows per request (default 100000)"),
    ),
)
def models_serve(ctx: Invocation) -> None:
    from autolog.serving import Limits, serve

    _use_store(ctx)
    limits = Limits(max_body_bytes=int(ctx.args.max_body_mb * 1024 * 1024), max_rows=ctx.args.max_rows)
    serve(
        ctx.args.model_uri,
        host=ctx.args.host,
        port=ctx.args.port,
        workers=ctx.args.workers,
        token_file=ctx.args.token_file,
        limits=limits,
    )


@command(
    "models",
    "predict",
    help="score a CSV, Parquet or JSON file with a model, in chunks",
    args=(
        _MODEL_URI,
        arg(
            "-i", "--input", required=True, metavar="FILE", help="input .csv (with header), .parquet or .json"
        ),
        arg("-o", "--output", metavar="FILE", default=None, help="output CSV (default: standard output)"),
        arg("--method", default=None, help="predict_proba, decision_function, ... (default: predict)"),
        arg("--chunk-rows", type=int, default=10_000, help="rows scored at a time (default 10000)"),
    ),
)
def models_predict(ctx: Invocation) -> None:
    from autolog.serving import load_served_model, predict_file

    _use_store(ctx)
    served = load_served_model(ctx.args.model_uri, owns_process=True)
    progress = sys.stderr if sys.stderr.isatty() else None
    if ctx.args.output is None:
        predict_file(
            served,
            ctx.args.input,
            ctx.out,
            method=ctx.args.method,
            chunk_rows=ctx.args.chunk_rows,
            progress=progress,
        )
        return
    # Written beside the target and renamed into place: a failed run leaves no half-written file.
    directory = os.path.dirname(os.path.abspath(ctx.args.output))
    handle, partial = tempfile.mkstemp(prefix=".autolog-predict-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as output:
            rows = predict_file(
                served,
                ctx.args.input,
                output,
                method=ctx.args.method,
                chunk_rows=ctx.args.chunk_rows,
                progress=progress,
            )
        os.replace(partial, ctx.args.output)
    except BaseException:
        os.unlink(partial)
        raise
    print(f"autolog: wrote {rows:,} predictions to {ctx.args.output}", file=sys.stderr)


def _use_store(ctx: Invocation) -> None:
    """``--store`` decides where ``runs:/`` and ``models:/`` URIs are resolved."""
    if getattr(ctx.args, "store", None):
        from autolog.tracking import set_tracking_uri

        set_tracking_uri(ctx.args.store)
