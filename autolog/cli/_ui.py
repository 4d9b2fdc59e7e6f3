"""``autolog ui`` and ``autolog runs diff RUN_A RUN_B``."""

from __future__ import annotations

from autolog.cli._commands import arg, command
from autolog.cli._invocation import Invocation
from autolog.cli._output import format_number, format_table


@command(
    "ui",
    help="serve the web UI for the store (http://127.0.0.1:5000 by default)",
    args=(
        arg(
            "--host",
            default="127.0.0.1",
            help="address to listen on (default 127.0.0.1); the UI has no login, so any other address "
            "is refused unless --insecure-no-auth (share a store with `autolog server` instead)",
        ),
        arg(
            "--insecure-no-auth",
            action="store_true",
            help="serve beyond loopback WITHOUT authentication (only behind your own authenticating proxy)",
        ),
        arg("--port", type=int, default=5000, help="TCP port (default 5000; 0 picks a free one)"),
        arg(
            "--allowed-host",
            metavar="NAME",
            action="append",
            default=[],
            help="another host name browsers may use to reach the server (repeatable)",
        ),
    ),
)
def ui(ctx: Invocation) -> None:
    from autolog.ui import serve

    serve(
        getattr(ctx.args, "store", None),
        host=ctx.args.host,
        port=ctx.args.port,
        allowed_hosts=ctx.args.allowed_host,
        insecure_no_auth=ctx.args.insecure_no_auth,
    )


@command(
    "runs",
    "diff",
    help="what changed between two runs: params, data, code, environment, metrics",
    json_output=True,
    args=(
        arg("run_a", metavar="RUN_A", help="the reference run (before)"),
        arg("run_b", metavar="RUN_B", help="the run compared with it (after)"),
        arg(
            "-p",
            "--patch",
            action="store_true",
            help="also print the full diffs (git diff with --git, the runs' recorded patches)",
        ),
        arg(
            "--git",
            action="store_true",
            help="run `git diff` between the recorded commits in the checkout of the current directory "
            "(no fetching, hooks or external programs); by default git is never run",
        ),
    ),
)
def runs_diff(ctx: Invocation) -> None:
    import os

    from autolog.diff import diff_runs

    checkout = os.getcwd() if ctx.args.git else None
    diff = diff_runs(ctx.args.run_a, ctx.args.run_b, client=ctx.client, git_checkout=checkout)
    if ctx.json:
        ctx.emit_json(diff.to_dict())
        return
    for block in (_header, _metrics, _params, _data, _code, _environment):
        ctx.echo(block(diff, ctx.args))
        ctx.echo()


def _header(diff, _args) -> str:
    return (
        f"What changed from A {diff.run_a} ({diff.name_a or '-'})\n"
        f"               to B {diff.run_b} ({diff.name_b or '-'})"
    )


def _section(title: str, body: str) -> str:
    return title + "\n" + "\n".join("  " + line for line in body.splitlines())


def _metrics(diff, _args) -> str:
    if not diff.metrics:
        return _section("Metrics", "none in either run")
    rows = [
        (d.key, format_number(d.a), format_number(d.b), _signed(d.delta), _percent(d.relative))
        for d in diff.metrics
    ]
    return _section("Metrics", format_table(("metric", "A", "B", "B-A", "relative"), rows))


def _signed(value) -> str:
    return "" if value is None else f"{value:+.6g}"


def _percent(value) -> str:
    return "" if value is None else f"{value * 100:+.1f}%"


def _params(diff, _args) -> str:
    p = diff.params
    if not p.has_changes:
        return _section("Params", f"identical ({p.unchanged})")
    rows = [(c.key, c.a, c.b, "changed") for c in p.changed]
    rows += [(k, None, v, "added") for k, v in p.added.items()]
    rows += [(k, v, None, "removed") for k, v in p.removed.items()]
    return _section("Params", format_table(("param", "A", "B", ""), rows) + f"\n{p.unchanged} unchanged")


def _data(diff, _args) -> str:
    if not diff.data:
        return _section("Data", "no fingerprint recorded")
    lines = []
    for d in diff.data:
        verdict = {None: "unknown (digest missing)", True: "same data", False: "DIFFERENT data"}[d.same_data]
        line = f"{d.name}: {verdict}; digest {(d.digest_a or '-')[:12]} -> {(d.digest_b or '-')[:12]}"
        line += f"; shape {d.shape_a or '-'} -> {d.shape_b or '-'}"
        if d.columns_added or d.columns_removed:
            line += "; columns " + " ".join(
                [f"+{c}" for c in d.columns_added] + [f"-{c}" for c in d.columns_removed]
            )
        lines.append(line)
    return _section("Data", "\n".join(lines))


def _code(diff, args) -> str:
    c = diff.code
    lines = [
        f"commit  {c.commit_a or '-'} -> {c.commit_b or '-'}",
        f"branch  {c.branch_a or '-'} -> {c.branch_b or '-'}",
        f"dirty   {_yes_no(c.dirty_a)} -> {_yes_no(c.dirty_b)}",
        f"source  {c.source_a or '-'} -> {c.source_b or '-'}",
    ]
    if c.note:
        lines.append(f"({c.note})")
    if c.git_diff_stat:
        lines.append(c.git_diff_stat.rstrip())
    if c.git_diff and args.patch:
        lines.append(c.git_diff.rstrip())
    elif c.git_diff:
        lines.append("(full diff: --patch)")
    for label, patch in (("A", c.patch_a), ("B", c.patch_b)):
        if patch and args.patch:
            lines += [f"uncommitted changes recorded in {label}:", patch.rstrip()]
        elif patch:
            lines.append(f"{label} recorded {len(patch.splitlines())} lines of uncommitted changes (--patch)")
    return _section("Code", "\n".join(lines))


def _yes_no(value) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _environment(diff, _args) -> str:
    env = diff.environment
    rows = [("python", env.python_a, env.python_b)] if env.python_a != env.python_b else []
    rows += [(c.key, c.a, c.b) for c in env.changed]
    if not rows:
        return _section(
            "Environment", f"same versions (python {env.python_a or '-'}, {env.unchanged} packages)"
        )
    return _section("Environment", format_table(("package", "A", "B"), rows) + f"\n{env.unchanged} unchanged")
