"""``autolog gc``: purge deleted runs and their artifacts for good."""

from __future__ import annotations

import sys

from autolog._core._entities import ViewType
from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation


class Aborted(Exception):
    """The user declined the confirmation prompt."""


@command(
    "gc",
    help="permanently remove deleted runs and their artifacts",
    json_output=True,
    args=(arg("--yes", "-y", action="store_true", help="do not ask for confirmation"),),
)
def gc(ctx: Invocation) -> int:
    run_ids = _deleted_run_ids(ctx)
    if not run_ids:
        _report(ctx, [], "Nothing to purge: no deleted runs.")
        return 0
    if not ctx.args.yes and not _confirm(
        f"Permanently delete {len(run_ids)} deleted run(s) and their artifacts? [y/N] "
    ):
        print("autolog: aborted, nothing was purged", file=sys.stderr)
        return 1
    purged = ctx.client.store.purge_deleted_runs(run_ids)
    _report(ctx, purged, f"Purged {len(purged)} run(s).")
    return 0


def _deleted_run_ids(ctx: Invocation) -> list[str]:
    experiment_ids = ctx.all_experiment_ids(ViewType.ALL)
    run_ids: list[str] = []
    token = None
    while experiment_ids:
        page = ctx.client.search_runs(
            experiment_ids, view_type=ViewType.DELETED_ONLY, max_results=1000, page_token=token
        )
        run_ids.extend(run.info.run_id for run in page)
        token = page.token
        if token is None or not page:
            break
    return run_ids


def _confirm(prompt: str) -> bool:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _report(ctx: Invocation, purged: list[str], message: str) -> None:
    if ctx.json:
        ctx.emit_json({"purged": list(purged)})
    else:
        ctx.echo(message)
