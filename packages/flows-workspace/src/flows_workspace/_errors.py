"""Errors the `flow` command reports as one line instead of a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn


class FlowsError(Exception):
    """A user error: the message says what was wrong and what to do.

    `flow` prints it as one line and exits with `exit_code`; set `FLOWS_DEBUG=1`
    to see the traceback.
    """

    exit_code: int = 1


class BadInputError(FlowsError):
    """A bad command-line value (a name, a path, a variable); nothing was written."""

    exit_code = 2


class WorkspaceNotFoundError(FlowsError):
    """No workspace marker file above the given directory."""


def debug_enabled() -> bool:
    """Whether `FLOWS_DEBUG` asks for tracebacks instead of one-line errors."""
    return os.environ.get("FLOWS_DEBUG", "") not in ("", "0")


def tell(level: str, message: str, prog: str | None = None) -> None:
    """Print `PROG: LEVEL: MESSAGE` as one line on stderr (PROG: the running script).

    For an experiment's `run.py`, which has no `flow` main loop to turn errors into lines.
    """
    print(f"{prog or Path(sys.argv[0]).name}: {level}: {message}", file=sys.stderr)


def exit_with_error(message: str, prog: str | None = None) -> NoReturn:
    """Print `PROG: error: MESSAGE` as one line on stderr and exit with status 2."""
    tell("error", message, prog)
    raise SystemExit(2)
