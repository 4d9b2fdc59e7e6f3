"""``autolog artifacts list|download``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator

from autolog.cli._commands import arg, command, group
from autolog.cli._invocation import Invocation
from autolog.cli._output import file_info_to_dict

group("artifacts", "list and download the artifacts of a run")


@command(
    "artifacts",
    "list",
    help="list a run's artifacts (directly under PATH)",
    json_output=True,
    args=(
        arg("run_id", metavar="RUN", help="run id"),
        arg("path", metavar="PATH", nargs="?", default=None, help="directory inside the run's artifacts"),
    ),
)
def artifacts_list(ctx: Invocation) -> None:
    ctx.client.get_run(ctx.args.run_id)  # a clear "run not found" rather than an empty listing
    files = ctx.client.list_artifacts(ctx.args.run_id, ctx.args.path)
    if ctx.json:
        ctx.emit_json([file_info_to_dict(f) for f in files])
        return
    rows = [(f.path + ("/" if f.is_dir else ""), "dir" if f.is_dir else _size(f.file_size)) for f in files]
    ctx.table(("path", "size"), rows, empty="No artifacts.")


def _size(size) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


@command(
    "artifacts",
    "download",
    help="download a run's artifacts (all, or the file/directory PATH)",
    json_output=True,
    args=(
        arg("run_id", metavar="RUN", help="run id"),
        arg(
            "path", metavar="PATH", nargs="?", default="", help="file or directory inside the run's artifacts"
        ),
        arg(
            "-o",
            "--output",
            metavar="DIR",
            default=None,
            help="destination directory (default: a new temp dir)",
        ),
        arg(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="show a progress bar on stderr (default: when stderr is a terminal)",
        ),
    ),
)
def artifacts_download(ctx: Invocation) -> None:
    ctx.client.get_run(ctx.args.run_id)
    show = ctx.args.progress if ctx.args.progress is not None else sys.stderr.isatty()
    total = None
    if show:
        files = ctx.client.store.artifacts(ctx.args.run_id).list_files(ctx.args.path or "")
        total = sum(f.file_size or 0 for f in files)
    with progress_bar(total, enabled=show) as progress:
        local_path = ctx.client.download_artifacts(
            ctx.args.run_id, ctx.args.path, ctx.args.output, progress=progress
        )
    if ctx.json:
        ctx.emit_json({"run_id": ctx.args.run_id, "path": ctx.args.path, "local_path": local_path})
    else:
        ctx.echo(local_path)


@contextlib.contextmanager
def progress_bar(total: int | None, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A byte-count progress bar on stderr: tqdm when installed, else a plain percentage line."""
    if not enabled:
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        with tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, desc="download"
        ) as bar:
            yield bar.update
        return
    done = [0]

    def report(count: int) -> None:
        done[0] += count
        share = f"{100 * done[0] / total:.0f}%" if total else ""
        sys.stderr.write(f"\rdownload: {_size(done[0])} {share}  ")
        sys.stderr.flush()

    yield report
    sys.stderr.write("\n")
