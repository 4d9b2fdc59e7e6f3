"""A registry of CLI subcommands: one small function per command, declared with :func:`command`.

Adding ``autolog ui`` or ``autolog runs diff A B`` later is one decorated function in a module
that :mod:`autolog.cli` imports; the parser is built from the registry.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Argument:
    flags: tuple[str, ...]
    options: dict = field(default_factory=dict)


def arg(*flags: str, **options: Any) -> Argument:
    """Describe one argparse argument of a command (same parameters as ``add_argument``)."""
    return Argument(flags, options)


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    func: Callable
    help: str
    arguments: tuple[Argument, ...]
    json_output: bool


@dataclass(frozen=True)
class Group:
    name: str
    help: str


COMMANDS: list[Command] = []
GROUPS: dict[str, Group] = {}


def group(name: str, help: str) -> None:
    """Declare a command group such as ``runs`` (its subcommands come from :func:`command`)."""
    GROUPS[name] = Group(name, help)


def command(*path: str, help: str, args: tuple[Argument, ...] = (), json_output: bool = False):
    """Register the decorated ``func(ctx) -> int | None`` as ``autolog <path...>``.

    ``json_output=True`` adds ``--json`` to the command.
    """

    def register(func: Callable) -> Callable:
        COMMANDS.append(Command(tuple(path), func, help, tuple(args), json_output))
        return func

    return register


def build_parser(prog: str = "autolog") -> argparse.ArgumentParser:
    """Build the argparse tree for every registered command."""
    parser = argparse.ArgumentParser(
        prog=prog, description="autolog: experiment tracking from the command line."
    )
    _add_common_options(parser, default=None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    group_parsers: dict[str, Any] = {}
    for cmd in COMMANDS:
        if len(cmd.path) == 1:
            target = subparsers
        else:
            target = group_parsers.get(cmd.path[0]) or _add_group(subparsers, cmd.path[0], group_parsers)
        leaf = target.add_parser(cmd.path[-1], help=cmd.help, description=cmd.help)
        _add_common_options(leaf, default=argparse.SUPPRESS, json_output=cmd.json_output)
        for argument in cmd.arguments:
            leaf.add_argument(*argument.flags, **argument.options)
        leaf.set_defaults(_command=cmd)
    return parser


def _add_group(subparsers, name: str, group_parsers: dict) -> Any:
    info = GROUPS.get(name, Group(name, ""))
    group_parser = subparsers.add_parser(name, help=info.help, description=info.help)
    children = group_parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")
    children.required = True
    group_parsers[name] = children
    return children


def _add_common_options(parser: argparse.ArgumentParser, *, default: Any, json_output: bool = True) -> None:
    # Accepted before and after the subcommand; SUPPRESS keeps a leaf from erasing the global value.
    parser.add_argument(
        "--store",
        metavar="URI",
        default=default,
        help="tracking URI: a directory, sqlite:///FILE or postgresql://... "
        "(default: $AUTOLOG_TRACKING_URI, else ./autolog-runs)",
    )
    if json_output:
        parser.add_argument(
            "--json",
            action="store_true",
            default=default if default is not None else False,
            help="machine-readable JSON output",
        )


def find_command(path: tuple[str, ...]) -> Command | None:
    return next((cmd for cmd in COMMANDS if cmd.path == path), None)
