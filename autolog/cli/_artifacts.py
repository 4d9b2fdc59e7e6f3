"""``autolog artifacts list|download``."""

from __future__ import annotations

from autolog.cli._invocation import Invocation
from autolog.cli._output import file_info_to_dict
from autolog.cli._commands import arg, command, group

group("artifacts", "list and download the artifacts of a run")


@command(
    "artifacts", "list", help="list a run's artifacts (directly under PATH)", json_output=True,
    args=(arg("run_id", metavar="RUN", help="run id"),
          arg("path", metavar="PATH", nargs="?", default=None, help="directory inside the run's artifacts")),
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
    "artifacts", "download", help="download a run's artifacts (all, or the file/directory PATH)", json_output=True,
    args=(arg("run_id", metavar="RUN", help="run id"),
          arg("path", metavar="PATH", nargs="?", default="", help="file or directory inside the run's artifacts"),
          arg("-o", "--output", metavar="DIR", default=None, help="destination directory (default: a new temp dir)")),
)
def artifacts_download(ctx: Invocation) -> None:
    ctx.client.get_run(ctx.args.run_id)
    local_path = ctx.client.download_artifacts(ctx.args.run_id, ctx.args.path, ctx.args.output)
    if ctx.json:
        ctx.emit_json({"run_id": ctx.args.run_id, "path": ctx.args.path, "local_path": local_path})
    else:
        ctx.echo(local_path)
