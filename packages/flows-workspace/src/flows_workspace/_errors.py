"""Errors the `flow` command reports as one line instead of a traceback."""

from __future__ import annotations


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
