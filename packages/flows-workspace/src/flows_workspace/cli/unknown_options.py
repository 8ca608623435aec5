"""Naming the option a user mistyped when tyro's own message cannot.

An unknown option where a positional value belongs (`flow create -x`) makes tyro report
the positional as missing under its internal name (`command.name`), never naming `-x`.
Only after a parse has failed, each option-looking token is tried alone after the
positionals (`flow create @ @ -x`): one that tyro then lists as unrecognized is the
user's mistake. tyro stays the only parser; this only decides which message to print.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_FILLERS = ("@", "@")
"""Stand-ins for the positionals (no command takes more than two)."""
_HELP = ("-h", "--help")


def asks_for_help(args: Sequence[str]) -> bool:
    """Whether tyro must print something other than an error (help, completion)."""
    return any(arg in _HELP or arg.startswith("--tyro") for arg in args)


def unknown_options(root: type, args: Sequence[str]) -> list[str]:
    """The tokens of `args` (subcommand first) that are options the subcommand does not have."""
    import tyro

    if not args:
        return []
    command, *rest = args
    unknown = []
    for token in rest:
        if not token.startswith("-") or token == "--":
            continue
        probe = [command, *_FILLERS, token]
        with contextlib.suppress(SystemExit):
            _, left = tyro.cli(root, args=probe, return_unknown_args=True, console_outputs=False)
            if token in left:
                unknown.append(token)
    return unknown
