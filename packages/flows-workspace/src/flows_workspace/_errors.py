"""Errors the `flow` command reports as one line instead of a traceback."""

from __future__ import annotations

import errno
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


_OS_ADVICE = {
    errno.EACCES: "you may not write there: fix its permissions or use another folder",
    errno.EPERM: "you may not write there: fix its permissions or use another folder",
    errno.EROFS: "the file system is read-only: use a writable folder",
    errno.ENOSPC: "the disk is full: free some space and run again",
    errno.EDQUOT: "your disk quota is used up: free some space and run again",
    errno.ENOENT: "a folder on the way does not exist or cannot hold files: check the path",
    errno.ENOTDIR: "a file stands where a folder is needed: check the path",
}


def os_error_message(error: OSError) -> str:
    """One line for a failed file operation: where, why, and what to do."""
    where = ""
    if error.filename:
        path = Path(os.fsdecode(error.filename))
        if path.name.startswith(".") and (path.name.endswith(".tmp") or ".flow-" in path.name):
            path = path.parent  # our temporary file or staging folder: name where it was
        where = f"`{path}`: "
    reason = error.strerror or str(error) or type(error).__name__
    advice = _OS_ADVICE.get(error.errno or 0, "fix that and run again")
    return f"{where}{reason}; {advice}"


def reader_went_away() -> int:
    """After a `BrokenPipeError` on stdout (`... | head`): the exit status to stop quietly.

    Unix tools stop silently when their reader goes away. Stdout is pointed at devnull
    so the interpreter's final flush does not print another error.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13  # as a shell reports a death by SIGPIPE
