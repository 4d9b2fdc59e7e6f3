"""The ``autolog`` command line: ``autolog experiments|runs|artifacts|models|gc ...``.

Errors end with a non-zero exit status and one line on stderr (``autolog: error: ...``), never a
traceback (set ``AUTOLOG_DEBUG=1`` to see one).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Sequence

from autolog._core._exceptions import AutologError
from autolog.cli._commands import build_parser
from autolog.cli._invocation import Invocation

# Importing a command module registers its commands (see autolog/cli/_commands.py); a new
# command such as `autolog ui` or `autolog runs diff` is a new module listed here.
COMMAND_MODULES = (
    "autolog.cli._experiments",
    "autolog.cli._runs",
    "autolog.cli._artifacts",
    "autolog.cli._gc",
    "autolog.cli._ui",  # autolog ui, autolog runs diff
    "autolog.cli._model_registry",  # autolog models list|show|register|alias|delete
    "autolog.cli._serving",  # autolog models serve|predict
    "autolog.cli._import",  # autolog import mlflow
    "autolog.cli._reproduce",  # autolog runs reproduce
    "autolog.cli._plots",  # autolog runs plot (matplotlib, the "plots" extra)
    "autolog.cli._server",  # autolog server [token create|revoke, permission set]
)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
# SQLAlchemy appends a link to its docs to driver errors; it is noise on a one-line error.
_SQLALCHEMY_BACKGROUND = re.compile(r"\(Background on this error at: [^)]*\)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    args = build_parser().parse_args(argv)
    try:
        return args._command.func(Invocation(args)) or 0
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # e.g. `autolog runs list | head`
        _silence_stdout()
        return EXIT_ERROR
    except AutologError as exc:
        return _fail(_one_line(exc))
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("AUTOLOG_DEBUG"):
            raise
        return _fail(f"{type(exc).__name__}: {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    text = _SQLALCHEMY_BACKGROUND.sub("", str(exc)).strip() or type(exc).__name__
    return " ".join(text.split())


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    from autolog._core._redact import redact_text
    from autolog.cli._output import escape_control

    print(f"autolog: error: {escape_control(redact_text(message))}", file=sys.stderr)
    return status


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
